from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import (
    CheckConstraint,
    Date,
    Integer,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from fanlens.db.base import Base, WorkspaceScoped, uuid_id, workspace_key


class FollowerActivePeriod(Base):
    """One UTC week or month in which a follower interacted at least once. Kept by the
    interaction triggers (db/sql/retention.sql); a follower's earliest row is their cohort.

    No foreign keys, as on follower_interactions: rows follow the log through its triggers."""

    __tablename__ = "follower_active_periods"
    __table_args__ = (
        workspace_key("id"),
        UniqueConstraint(
            "follower_id", "grain", "period", "workspace_id", name="uq_follower_active_periods_key"
        ),
        CheckConstraint("grain IN ('week', 'month')", name="grain"),
    )

    id: Mapped[uuid.UUID] = uuid_id()
    follower_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    grain: Mapped[str] = mapped_column(Text, nullable=False)
    period: Mapped[date] = mapped_column(Date, nullable=False)
    workspace_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    platform: Mapped[str] = mapped_column(Text, nullable=False)


class RetentionCell(WorkspaceScoped, Base):
    """Followers of one first-seen cohort active in one period (any interaction type), and how
    many of them were last active in it: the retention matrix, bounded ("on") and unbounded ("on
    or after", the sum of last_active over this and later periods), kept current per inserted
    batch so reading it costs a few rows."""

    __tablename__ = "retention_cells"
    __table_args__ = (
        workspace_key("id"),
        UniqueConstraint("workspace_id", "platform", "grain", "cohort", "period"),
        CheckConstraint("grain IN ('week', 'month')", name="grain"),
    )

    id: Mapped[uuid.UUID] = uuid_id()
    platform: Mapped[str] = mapped_column(Text, nullable=False)
    grain: Mapped[str] = mapped_column(Text, nullable=False)
    cohort: Mapped[date] = mapped_column(Date, nullable=False)
    period: Mapped[date] = mapped_column(Date, nullable=False)
    followers: Mapped[int] = mapped_column(Integer, nullable=False)
    last_active: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
