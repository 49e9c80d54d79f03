from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from fanlens.db.base import Base, WorkspaceScoped, uuid_pk


class FollowerInteraction(WorkspaceScoped, Base):
    """One action of one follower: a comment, like, share, save, visit, click, follow, …

    `dedup_key` identifies the interaction on its platform (see fanlens.interactions.keys), so
    storing the same interaction again is a no-op.
    """

    __tablename__ = "follower_interactions"
    __table_args__ = (
        UniqueConstraint("workspace_id", "platform", "dedup_key"),
        CheckConstraint("time_precision IN ('exact', 'observed')", name="time_precision"),
        Index("ix_follower_interactions_follower_id_occurred_at", "follower_id", "occurred_at"),
        Index("ix_follower_interactions_content_id_occurred_at", "content_id", "occurred_at"),
        Index("ix_follower_interactions_content_post_id", "content_post_id"),
        Index("ix_follower_interactions_workspace_id_occurred_at", "workspace_id", "occurred_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    follower_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("followers.id", ondelete="CASCADE"), nullable=False
    )
    content_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("content_items.id", ondelete="CASCADE")
    )
    content_post_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("content_posts.id", ondelete="CASCADE")
    )
    platform: Mapped[str] = mapped_column(Text, nullable=False)
    interaction_type: Mapped[str] = mapped_column(Text, nullable=False)
    interaction_value: Mapped[str | None] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(Text)
    parent_external_id: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    time_precision: Mapped[str] = mapped_column(Text, nullable=False, server_default="exact")
    observed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    dedup_key: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
