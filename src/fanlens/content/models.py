from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
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
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from fanlens.db.base import (
    Base,
    TimestampMixin,
    WorkspaceScoped,
    uuid_id,
    workspace_key,
    workspace_reference,
)


class ContentItem(WorkspaceScoped, TimestampMixin, Base):
    """One canonical piece of content, published as posts on several platforms."""

    __tablename__ = "content_items"
    __table_args__ = (workspace_key("id"), UniqueConstraint("workspace_id", "slug"))

    id: Mapped[uuid.UUID] = uuid_id()
    slug: Mapped[str] = mapped_column(Text, nullable=False)
    title: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)


class ContentPost(WorkspaceScoped, TimestampMixin, Base):
    """One platform post of a content item, with its latest metrics."""

    __tablename__ = "content_posts"
    __table_args__ = (
        workspace_key("id"),
        workspace_reference("content_id", "content_items", ondelete="CASCADE"),
        UniqueConstraint("workspace_id", "platform", "external_post_id"),
        Index("ix_content_posts_content_id", "content_id"),
        Index("ix_content_posts_workspace_id_posted_at", "workspace_id", "posted_at"),
    )

    id: Mapped[uuid.UUID] = uuid_id()
    content_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    platform: Mapped[str] = mapped_column(Text, nullable=False)
    external_post_id: Mapped[str] = mapped_column(Text, nullable=False)
    url: Mapped[str | None] = mapped_column(Text)
    caption: Mapped[str | None] = mapped_column(Text)
    posted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    views: Mapped[int | None] = mapped_column(BigInteger)
    likes: Mapped[int | None] = mapped_column(BigInteger)
    comments: Mapped[int | None] = mapped_column(BigInteger)
    shares: Mapped[int | None] = mapped_column(BigInteger)
    saves: Mapped[int | None] = mapped_column(BigInteger)
    extra_metrics: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    metrics_updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A post first seen through an interaction on it; the post's own record fills it in later.
    is_placeholder: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=text("false")
    )


class ContentTag(WorkspaceScoped, TimestampMixin, Base):
    __tablename__ = "content_tags"
    __table_args__ = (
        workspace_key("id"),
        workspace_reference("content_id", "content_items", ondelete="CASCADE"),
        UniqueConstraint(
            "content_id", "tag_type", "tag_value", "workspace_id", name="uq_content_tags_key"
        ),
        Index(
            "ix_content_tags_workspace_id_tag_type_tag_value",
            "workspace_id",
            "tag_type",
            "tag_value",
        ),
    )

    id: Mapped[uuid.UUID] = uuid_id()
    content_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    tag_type: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'topic'"))
    tag_value: Mapped[str] = mapped_column(Text, nullable=False)


class ContentEngagementTotals(WorkspaceScoped, Base):
    """Derived: a content item's cross-platform totals, one row per item (kept by triggers on
    content_items and content_posts, db/sql/counts.sql)."""

    __tablename__ = "content_engagement_totals"
    __table_args__ = (
        workspace_key("content_id"),
        workspace_reference("content_id", "content_items", ondelete="CASCADE"),
        Index(
            "ix_content_engagement_totals_workspace_id_total_engagement",
            "workspace_id",
            "total_engagement",
            "content_id",
        ),
    )

    content_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    platform_count: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    platforms: Mapped[list[str]] = mapped_column(
        ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")
    )
    first_posted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    total_views: Mapped[int | None] = mapped_column(BigInteger)
    total_likes: Mapped[int | None] = mapped_column(BigInteger)
    total_comments: Mapped[int | None] = mapped_column(BigInteger)
    total_shares: Mapped[int | None] = mapped_column(BigInteger)
    total_saves: Mapped[int | None] = mapped_column(BigInteger)
    total_engagement: Mapped[int] = mapped_column(
        BigInteger, nullable=False, server_default=text("0")
    )
    engagement_rate: Mapped[Decimal | None] = mapped_column(Numeric)
    best_platform: Mapped[str | None] = mapped_column(Text)


class PlatformPostTotals(WorkspaceScoped, Base):
    """Derived: per platform, the workspace's posts and their summed reported metrics (kept by
    triggers on content_posts, db/sql/counts.sql), so the platforms' rates and the
    best-platform comparison read a few rows. `*_reported`: posts that report the metric (its
    sum means nothing without any); `viewed_*`: over the posts with views > 0."""

    __tablename__ = "platform_post_totals"
    __table_args__ = (workspace_key("id"), UniqueConstraint("workspace_id", "platform"))

    id: Mapped[uuid.UUID] = uuid_id()
    platform: Mapped[str] = mapped_column(Text, nullable=False)
    posts: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default=text("0"))
    views: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default=text("0"))
    views_reported: Mapped[int] = mapped_column(
        BigInteger, nullable=False, server_default=text("0")
    )
    likes: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default=text("0"))
    likes_reported: Mapped[int] = mapped_column(
        BigInteger, nullable=False, server_default=text("0")
    )
    comments: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default=text("0"))
    comments_reported: Mapped[int] = mapped_column(
        BigInteger, nullable=False, server_default=text("0")
    )
    shares: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default=text("0"))
    shares_reported: Mapped[int] = mapped_column(
        BigInteger, nullable=False, server_default=text("0")
    )
    saves: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default=text("0"))
    saves_reported: Mapped[int] = mapped_column(
        BigInteger, nullable=False, server_default=text("0")
    )
    viewed_posts: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default=text("0"))
    viewed_views: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default=text("0"))
    viewed_engagement: Mapped[int] = mapped_column(
        BigInteger, nullable=False, server_default=text("0")
    )


class ContentLinkDecision(WorkspaceScoped, Base):
    """A user's answer to a suggestion that two posts are one content item. Rejected pairs are
    never suggested again; an accepted one remembers where the moved post came from (unlink)."""

    __tablename__ = "content_link_decisions"
    __table_args__ = (
        workspace_key("id"),
        workspace_reference("post_id", "content_posts", ondelete="CASCADE"),
        workspace_reference("other_post_id", "content_posts", ondelete="CASCADE"),
        UniqueConstraint("workspace_id", "post_id", "other_post_id"),
        CheckConstraint("decision IN ('accepted', 'rejected')", name="decision"),
    )

    id: Mapped[uuid.UUID] = uuid_id()
    post_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    other_post_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    decision: Mapped[str] = mapped_column(Text, nullable=False)
    moved_post_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    previous_content_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    decided_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
