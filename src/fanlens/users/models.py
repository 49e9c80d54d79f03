"""Dashboard users (each belongs to one workspace) and the log of login attempts."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, DateTime, Index, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from fanlens.db.base import Base, TimestampMixin, WorkspaceScoped, uuid_pk
from fanlens.workspaces import models as _workspaces  # noqa: F401  (the FK target must be mapped)


class User(WorkspaceScoped, TimestampMixin, Base):
    """Someone who logs in to the dashboard; sees only their workspace's data."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("username"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    username: Mapped[str] = mapped_column(Text, nullable=False)  # stored lowercase
    # scrypt$N$r$p$salt$hash (base64): the parameters travel with the hash, so they can grow.
    password_hash: Mapped[str] = mapped_column(Text, nullable=False)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LoginAttempt(Base):
    """One try at logging in, kept so failures can be counted per username and address.

    Not workspace-scoped: an attempt happens before anyone is known."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_username_ip_attempted_at", "username", "ip", "attempted_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    username: Mapped[str] = mapped_column(Text, nullable=False)  # stored lowercase
    ip: Mapped[str] = mapped_column(Text, nullable=False)
    succeeded: Mapped[bool] = mapped_column(Boolean, nullable=False)
    attempted_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
