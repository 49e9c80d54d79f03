from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, Numeric, Text, func, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from fanlens.db.base import Base, WorkspaceScoped


def _count() -> Mapped[int]:
    return mapped_column(BigInteger, nullable=False, server_default=text("0"))


class FollowerInteractionCount(WorkspaceScoped, Base):
    """Derived: how often a follower did each interaction type (kept by triggers)."""

    __tablename__ = "follower_interaction_counts"

    follower_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("followers.id", ondelete="CASCADE"), primary_key=True
    )
    interaction_type: Mapped[str] = mapped_column(Text, primary_key=True)
    interaction_count: Mapped[int] = _count()
    first_interaction_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_interaction_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class FollowerEngagementScore(WorkspaceScoped, Base):
    """Derived: a follower's score and tier (kept by triggers, rebuilt by a full rescore)."""

    __tablename__ = "follower_engagement_scores"
    __table_args__ = (
        Index(
            "ix_follower_engagement_scores_workspace_id_engagement_score",
            "workspace_id",
            text("engagement_score DESC"),
        ),
        Index(
            "ix_follower_engagement_scores_workspace_id_engagement_tier",
            "workspace_id",
            "engagement_tier",
        ),
    )

    follower_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("followers.id", ondelete="CASCADE"), primary_key=True
    )
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
