"""Connected accounts, the sync cursor of each stream, and a log of sync runs."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from fanlens.db.base import (
    Base,
    TimestampMixin,
    WorkspaceScoped,
    uuid_id,
    workspace_key,
    workspace_reference,
)

ACCOUNT_STATUSES = ("active", "needs_reauth", "gone")
RUN_STATUSES = ("running", "succeeded", "failed", "needs_reauth", "gone")


class Account(WorkspaceScoped, TimestampMixin, Base):
    """A creator's channel on one platform. `credentials` is Fernet ciphertext, never plain."""

    __tablename__ = "accounts"
    __table_args__ = (
        workspace_key("id"),
        UniqueConstraint("workspace_id", "platform", "external_id"),
        CheckConstraint("status IN ('active', 'needs_reauth', 'gone')", name="status"),
    )

    id: Mapped[uuid.UUID] = uuid_id()
    platform: Mapped[str] = mapped_column(Text, nullable=False)
    handle: Mapped[str] = mapped_column(Text, nullable=False)
    external_id: Mapped[str] = mapped_column(Text, nullable=False)
    display_name: Mapped[str | None] = mapped_column(Text)
    settings: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    credentials: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default="active")
    last_error: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:  # credentials stay out of logs and tracebacks
        return f"Account(id={self.id}, platform={self.platform!r}, handle={self.handle!r})"


class SyncState(WorkspaceScoped, Base):
    """Where one stream of one account stopped: the cursor a sync resumes from."""

    __tablename__ = "sync_state"
    __table_args__ = (
        workspace_key("id"),
        workspace_reference("account_id", "accounts", ondelete="CASCADE"),
        UniqueConstraint("account_id", "stream", "workspace_id", name="uq_sync_state_key"),
    )

    id: Mapped[uuid.UUID] = uuid_id()
    account_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    stream: Mapped[str] = mapped_column(Text, nullable=False)
    cursor: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )


class SyncRun(WorkspaceScoped, Base):
    """One sync of one account: what it fetched, what it cost and how it ended."""

    __tablename__ = "sync_runs"
    __table_args__ = (
        workspace_key("id"),
        workspace_reference("account_id", "accounts", ondelete="CASCADE"),
        CheckConstraint(
            "status IN ('running', 'succeeded', 'failed', 'needs_reauth', 'gone')",
            name="status",
        ),
        Index("ix_sync_runs_account_id_started_at", "account_id", "started_at"),
    )

    id: Mapped[uuid.UUID] = uuid_id()
    account_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    started_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default="running")
    full: Mapped[bool] = mapped_column(nullable=False, server_default=text("false"))
    items: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    rejects: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    api_calls: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    quota_used: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)


class RetiredMetric(WorkspaceScoped, Base):
    """A metric the platform refused for one account's media of one type (retired, or not
    offered for that type): shown on the data-health page, skipped once per sync."""

    __tablename__ = "connector_retired_metrics"
    __table_args__ = (
        workspace_key("id"),
        workspace_reference("account_id", "accounts", ondelete="CASCADE"),
        UniqueConstraint(
            "account_id",
            "metric",
            "media_type",
            "workspace_id",
            name="uq_connector_retired_metrics_key",
        ),
    )

    id: Mapped[uuid.UUID] = uuid_id()
    account_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    metric: Mapped[str] = mapped_column(Text, nullable=False)
    media_type: Mapped[str] = mapped_column(Text, nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    first_seen_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    last_seen_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )


class LiveGap(WorkspaceScoped, Base):
    """A time a live connection was down. The reconnect replays from `since_cursor` as far as
    the stream keeps events; what it no longer keeps, the next sync fills."""

    __tablename__ = "live_gaps"
    __table_args__ = (
        workspace_key("id"),
        workspace_reference("account_id", "accounts", ondelete="CASCADE"),
        Index("ix_live_gaps_account_id_started_at", "account_id", "started_at"),
    )

    id: Mapped[uuid.UUID] = uuid_id()
    account_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    source: Mapped[str] = mapped_column(Text, nullable=False)
    started_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    since_cursor: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str] = mapped_column(Text, nullable=False)
