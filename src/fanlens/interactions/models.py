from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from fanlens.db.base import Base, WorkspaceScoped, uuid_pk


class FollowerInteraction(Base):
    """One action of one follower: a comment, like, share, save, visit, click, follow, …

    `dedup_key` identifies the interaction on its platform (see fanlens.interactions.keys), so
    storing the same interaction again is a no-op.
    """

    __tablename__ = "follower_interactions"
    __table_args__ = (
        UniqueConstraint("workspace_id", "platform", "dedup_key"),
        CheckConstraint("time_precision IN ('exact', 'observed')", name="time_precision"),
        # Composite keys: an interaction can only point at a follower or post of its own
        # workspace, and the workspace cascade reaches it through the follower.
        ForeignKeyConstraint(
            ["workspace_id", "follower_id"],
            ["followers.workspace_id", "followers.id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["workspace_id", "content_post_id"],
            ["content_posts.workspace_id", "content_posts.id"],
            ondelete="CASCADE",
        ),
        Index("ix_follower_interactions_follower_id_occurred_at", "follower_id", "occurred_at"),
        Index("ix_follower_interactions_content_id_occurred_at", "content_id", "occurred_at"),
        Index("ix_follower_interactions_content_post_id", "content_post_id"),
        Index("ix_follower_interactions_workspace_id_occurred_at", "workspace_id", "occurred_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    workspace_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    follower_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    content_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("content_items.id", ondelete="CASCADE")
    )
    content_post_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
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


class IngestReject(WorkspaceScoped, Base):
    """A line that could not be stored, with where it came from and why, so nothing is lost."""

    __tablename__ = "ingest_rejects"
    __table_args__ = (
        UniqueConstraint("workspace_id", "source", "line_number", "raw_hash"),
        Index("ix_ingest_rejects_workspace_id_created_at", "workspace_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    source: Mapped[str] = mapped_column(Text, nullable=False)
    line_number: Mapped[int] = mapped_column(Integer, nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    raw: Mapped[str] = mapped_column(Text, nullable=False)
    raw_hash: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
