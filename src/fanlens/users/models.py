"""Dashboard users (each belongs to one workspace), their sessions, and the login throttle."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from fanlens.db.base import Base, TimestampMixin, WorkspaceScoped, uuid_pk
from fanlens.workspaces import models as _workspaces  # noqa: F401  (the FK target must be mapped)


class User(WorkspaceScoped, TimestampMixin, Base):
    """Someone who logs in to the dashboard; sees only their workspace's data."""

    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("username"),
        CheckConstraint("scope IN ('read', 'write')", name="scope"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    username: Mapped[str] = mapped_column(Text, nullable=False)  # stored lowercase
    # As an API token's: `read` sees every page, `write` may also use the pages' buttons.
    scope: Mapped[str] = mapped_column(Text, nullable=False, server_default="write")
    # scrypt$N$r$p$salt$hash (base64): the parameters travel with the hash, so they can grow.
    password_hash: Mapped[str] = mapped_column(Text, nullable=False)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DashboardSession(Base):
    """One login: the cookie carries a random key, the row its SHA-256, so a database dump
    opens no session. Deleting the row ends the session on the next request."""

    __tablename__ = "dashboard_sessions"

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    key_hash: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    last_seen_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class LoginThrottle(Base):
    """Password checks per username and address in the current window, counted by one
    atomic upsert before each check. Not workspace-scoped: a login happens before anyone is
    known."""

    __tablename__ = "login_throttles"
    __table_args__ = (
        UniqueConstraint("username", "ip"),
        Index("ix_login_throttles_window_started_at", "window_started_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    username: Mapped[str] = mapped_column(Text, nullable=False)  # stored lowercase
    ip: Mapped[str] = mapped_column(Text, nullable=False)
    window_started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    checks: Mapped[int] = mapped_column(Integer, nullable=False)
