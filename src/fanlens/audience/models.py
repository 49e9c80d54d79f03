from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, Index, Text, UniqueConstraint, func, text
from sqlalchemy.orm import Mapped, mapped_column

from fanlens.db.base import Base, TimestampMixin, WorkspaceScoped, uuid_id, workspace_key


class Follower(WorkspaceScoped, TimestampMixin, Base):
    """One platform identity that interacted with the creator's content."""

    __tablename__ = "followers"
    __table_args__ = (
        workspace_key("id"),
        UniqueConstraint("workspace_id", "platform", "external_user_id"),
        Index("ix_followers_workspace_id_lower_username", "workspace_id", text("lower(username)")),
        Index("ix_followers_workspace_id_first_seen_at", "workspace_id", "first_seen_at"),
    )

    id: Mapped[uuid.UUID] = uuid_id()
    platform: Mapped[str] = mapped_column(Text, nullable=False)
    external_user_id: Mapped[str] = mapped_column(Text, nullable=False)
    username: Mapped[str | None] = mapped_column(Text)
    display_name: Mapped[str | None] = mapped_column(Text)
    profile_url: Mapped[str | None] = mapped_column(Text)
    avatar_url: Mapped[str | None] = mapped_column(Text)
    follower_count: Mapped[int | None] = mapped_column(BigInteger)
    bio: Mapped[str | None] = mapped_column(Text)
    verified: Mapped[bool | None] = mapped_column(Boolean)
    # Earliest and latest known interaction times; maintained by the interaction triggers.
    first_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class FollowerTierCount(WorkspaceScoped, Base):
    """Derived: followers and their interactions per platform and tier (a follower without a
    score row counts as inactive). Kept by triggers on followers and follower_engagement_scores
    (db/sql/rollups.sql), so tier charts and per-platform totals read a few rows."""

    __tablename__ = "follower_tier_counts"
    __table_args__ = (
        workspace_key("id"),
        UniqueConstraint("workspace_id", "platform", "tier"),
    )

    id: Mapped[uuid.UUID] = uuid_id()
    platform: Mapped[str] = mapped_column(Text, nullable=False)
    tier: Mapped[str] = mapped_column(Text, nullable=False)
    followers: Mapped[int] = mapped_column(BigInteger, nullable=False)
    interactions: Mapped[int] = mapped_column(BigInteger, nullable=False)


# Handles by prefix (finding a person), in byte order whatever the database's collation.
Index(
    "ix_followers_workspace_id_lower_username_pattern",
    Follower.workspace_id,
    func.lower(Follower.username).label("lower_username"),
    postgresql_ops={"lower_username": "text_pattern_ops"},
)
