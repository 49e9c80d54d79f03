from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Index,
    Integer,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from fanlens.db.base import Base, WorkspaceScoped, uuid_id, workspace_key, workspace_reference


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


class PostFirstDayEngagement(WorkspaceScoped, Base):
    """Derived: one row per post with a posted_at, its platform and posted_at beside the
    exact-time interactions it drew in its first 24 hours, so best time to post reads this table
    alone. Kept by triggers on the log and on posts (db/sql/insights.sql). Observed-time
    interactions never count: their time is when fanlens saw them, not when the fan acted."""

    __tablename__ = "post_first_day_engagement"
    __table_args__ = (
        workspace_key("content_post_id"),
        workspace_reference("content_post_id", "content_posts", ondelete="CASCADE"),
        Index("ix_post_first_day_engagement_workspace_id_platform", "workspace_id", "platform"),
    )

    content_post_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    platform: Mapped[str] = mapped_column(Text, nullable=False)
    posted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    engagement: Mapped[int] = mapped_column(BigInteger, nullable=False)


class TierChangeDay(WorkspaceScoped, Base):
    """Derived: behaviour tier changes per UTC day, (from, to) pair and time precision, for
    tier movement. Kept by triggers on follower_tier_changes (db/sql/insights.sql)."""

    __tablename__ = "tier_change_days"
    __table_args__ = (
        workspace_key("id"),
        UniqueConstraint(
            "workspace_id", "day", "from_tier", "to_tier", "time_precision",
            name="uq_tier_change_days_key", postgresql_nulls_not_distinct=True,
        ),
    )  # fmt: skip

    id: Mapped[uuid.UUID] = uuid_id()
    day: Mapped[date] = mapped_column(Date, nullable=False)
    from_tier: Mapped[str | None] = mapped_column(Text)
    to_tier: Mapped[str] = mapped_column(Text, nullable=False)
    time_precision: Mapped[str] = mapped_column(Text, nullable=False)
    changes: Mapped[int] = mapped_column(BigInteger, nullable=False)


class TierHoldDay(WorkspaceScoped, Base):
    """Derived: per UTC day and tier, the followers' behaviour tier spans (a change to the next
    change of the same follower) that began (`entered`) and ended (`exited`) that day, and of
    the ended ones those that began before the day's week or month (`exited_held_week`,
    `exited_held_month`). A period's held followers are the spans begun before it, less those
    ended before it, less those that ended in it having begun before it. Kept by triggers on
    follower_tier_changes (db/sql/insights.sql)."""

    __tablename__ = "tier_hold_days"
    __table_args__ = (
        workspace_key("id"),
        UniqueConstraint("workspace_id", "day", "tier"),
    )

    id: Mapped[uuid.UUID] = uuid_id()
    day: Mapped[date] = mapped_column(Date, nullable=False)
    tier: Mapped[str] = mapped_column(Text, nullable=False)
    entered: Mapped[int] = mapped_column(BigInteger, nullable=False)
    exited: Mapped[int] = mapped_column(BigInteger, nullable=False)
    exited_held_week: Mapped[int] = mapped_column(BigInteger, nullable=False)
    exited_held_month: Mapped[int] = mapped_column(BigInteger, nullable=False)
