from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Index,
    Integer,
    Numeric,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from fanlens.db.base import Base, WorkspaceScoped, uuid_id, workspace_key, workspace_reference


def _count() -> Mapped[int]:
    return mapped_column(BigInteger, nullable=False, server_default=text("0"))


class FollowerInteractionCount(WorkspaceScoped, Base):
    """Derived: how often a follower did each interaction type (kept by triggers)."""

    __tablename__ = "follower_interaction_counts"
    __table_args__ = (
        workspace_key("follower_id", "interaction_type"),
        workspace_reference("follower_id", "followers", ondelete="CASCADE"),
    )

    follower_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    interaction_type: Mapped[str] = mapped_column(Text)
    interaction_count: Mapped[int] = _count()
    first_interaction_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_interaction_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class FollowerEngagementScore(WorkspaceScoped, Base):
    """Derived: a follower's score and tier (kept by triggers, rebuilt by a full rescore)."""

    __tablename__ = "follower_engagement_scores"
    __table_args__ = (
        workspace_key("follower_id"),
        workspace_reference("follower_id", "followers", ondelete="CASCADE"),
        Index(
            "ix_follower_engagement_scores_workspace_id_engagement_score",
            "workspace_id",
            text("engagement_score DESC"),
        ),
        Index(  # a tier's followers by score
            "ix_follower_engagement_scores_workspace_id_tier_score",
            "workspace_id",
            "engagement_tier",
            text("engagement_score DESC"),
        ),
    )

    follower_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    engagement_score: Mapped[Decimal] = mapped_column(
        Numeric, nullable=False, server_default=text("0")
    )
    engagement_tier: Mapped[str] = mapped_column(
        Text, nullable=False, server_default=text("'inactive'")
    )
    comment_count: Mapped[int] = _count()
    like_count: Mapped[int] = _count()
    share_count: Mapped[int] = _count()
    save_count: Mapped[int] = _count()
    profile_visit_count: Mapped[int] = _count()
    link_click_count: Mapped[int] = _count()
    other_count: Mapped[int] = _count()
    interaction_count: Mapped[int] = _count()
    first_interaction_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_interaction_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    config_version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    computed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )


class ScoringConfig(WorkspaceScoped, Base):
    """One version of a workspace's scoring rules; the highest version is in force.

    Versions are never edited: a change inserts the next version, so every stored score and tier
    change names the rules that produced it.
    """

    __tablename__ = "scoring_configs"
    __table_args__ = (
        workspace_key("id"),
        UniqueConstraint("workspace_id", "version"),
        CheckConstraint(
            "super_fan_threshold > active_threshold AND active_threshold > lurker_threshold "
            "AND lurker_threshold >= 0",
            name="tier_order",
        ),
        CheckConstraint(
            "(recency_mode = 'none' AND recency_days IS NULL) OR "
            "(recency_mode IN ('window', 'half_life') AND recency_days > 0)",
            name="recency",
        ),
        CheckConstraint("jsonb_typeof(weights) = 'object'", name="weights_object"),
    )

    id: Mapped[uuid.UUID] = uuid_id()
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    weights: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    super_fan_threshold: Mapped[Decimal] = mapped_column(
        Numeric, nullable=False, server_default=text("500")
    )
    active_threshold: Mapped[Decimal] = mapped_column(
        Numeric, nullable=False, server_default=text("100")
    )
    lurker_threshold: Mapped[Decimal] = mapped_column(
        Numeric, nullable=False, server_default=text("10")
    )
    recency_mode: Mapped[str] = mapped_column(Text, nullable=False, server_default="none")
    recency_days: Mapped[Decimal | None] = mapped_column(Numeric)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )


class FollowerTierChange(WorkspaceScoped, Base):
    """Tier history: one row each time a follower's tier changes (first appearance included).

    `behaviour` rows are a replay of the follower's interactions under the rules in force, dated
    at the interaction that moved the tier (`time_precision` is that interaction's: `observed`
    means the tier was reached by then); `config` rows mark a new scoring config moving the
    follower, dated when it took effect.
    """

    __tablename__ = "follower_tier_changes"
    __table_args__ = (
        workspace_key("id"),
        workspace_reference("follower_id", "followers", ondelete="CASCADE"),
        CheckConstraint("kind IN ('behaviour', 'config')", name="kind"),
        CheckConstraint("time_precision IN ('exact', 'observed')", name="time_precision"),
        Index("ix_follower_tier_changes_follower_id_changed_at", "follower_id", "changed_at"),
        Index("ix_follower_tier_changes_workspace_id_changed_at", "workspace_id", "changed_at"),
    )

    id: Mapped[uuid.UUID] = uuid_id()
    follower_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    from_tier: Mapped[str | None] = mapped_column(Text)
    to_tier: Mapped[str] = mapped_column(Text, nullable=False)
    score: Mapped[Decimal] = mapped_column(Numeric, nullable=False)
    config_version: Mapped[int] = mapped_column(Integer, nullable=False)
    changed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    kind: Mapped[str] = mapped_column(Text, nullable=False, server_default="behaviour")
    time_precision: Mapped[str] = mapped_column(Text, nullable=False, server_default="exact")


class ScoringRun(WorkspaceScoped, Base):
    """A full rescore of one workspace. (kind, scheduled_for) is a claim: a nightly tick runs
    once per workspace however many workers see it."""

    __tablename__ = "scoring_runs"
    __table_args__ = (
        workspace_key("id"),
        UniqueConstraint("workspace_id", "kind", "scheduled_for"),
    )

    id: Mapped[uuid.UUID] = uuid_id()
    kind: Mapped[str] = mapped_column(Text, nullable=False)
    scheduled_for: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    config_version: Mapped[int] = mapped_column(Integer, nullable=False)
    followers: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default=text("0"))
    started_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
