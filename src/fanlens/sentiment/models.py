from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    Numeric,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from fanlens.db.base import Base, WorkspaceScoped, uuid_id, workspace_key, workspace_reference
from fanlens.interactions.models import FollowerInteraction

# Interaction types that carry a fan's own words.
TEXT_TYPES = ("comment", "reply", "quote", "mention")
_TEXT_TYPES_SQL = ", ".join(f"'{t}'" for t in TEXT_TYPES)
TEXT_FILTER = f"interaction_type IN ({_TEXT_TYPES_SQL}) AND interaction_value IS NOT NULL"


class CommentSentiment(WorkspaceScoped, Base):
    """The sentiment of one text interaction (comment, reply, quote, mention).

    `label`/`score` are the analyser's and are rewritten by re-analysis; `corrected_label` is a
    person's and is never touched by an analyser, so the effective label is
    coalesce(corrected_label, label). No FOREIGN KEY to follower_interactions (it has none by
    design, see its model); a statement-level trigger deletes these rows with their interaction.
    """

    __tablename__ = "comment_sentiments"
    __table_args__ = (
        workspace_key("interaction_id"),
        CheckConstraint(
            "label IN ('positive', 'neutral', 'negative', 'unsupported_language')", name="label"
        ),
        CheckConstraint(
            "corrected_label IN ('positive', 'neutral', 'negative')", name="corrected_label"
        ),
        CheckConstraint("score >= -1 AND score <= 1", name="score_range"),
        Index(
            "ix_comment_sentiments_workspace_id_corrected_at",
            "workspace_id",
            "corrected_at",
            postgresql_where=text("corrected_label IS NOT NULL"),
        ),
    )

    interaction_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    label: Mapped[str] = mapped_column(Text, nullable=False)
    score: Mapped[float] = mapped_column(Float, nullable=False)
    language: Mapped[str] = mapped_column(Text, nullable=False)
    analyser: Mapped[str] = mapped_column(Text, nullable=False)
    analyser_version: Mapped[str] = mapped_column(Text, nullable=False)
    is_question: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    corrected_label: Mapped[str | None] = mapped_column(Text)
    corrected_by: Mapped[str | None] = mapped_column(Text)
    corrected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    analysed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )


class SentimentAlert(WorkspaceScoped, Base):
    """A day on which a content item's comments turned negative well beyond its usual share.

    One row per workspace, content item and day, so re-running the check changes nothing.
    """

    __tablename__ = "sentiment_alerts"
    __table_args__ = (
        workspace_key("id"),
        workspace_reference("content_id", "content_items", ondelete="CASCADE"),
        UniqueConstraint("workspace_id", "content_id", "day"),
    )

    id: Mapped[uuid.UUID] = uuid_id()
    content_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    day: Mapped[date] = mapped_column(Date, nullable=False)  # UTC
    negative_count: Mapped[int] = mapped_column(Integer, nullable=False)
    comment_count: Mapped[int] = mapped_column(Integer, nullable=False)
    negative_share: Mapped[Decimal] = mapped_column(Numeric, nullable=False)
    baseline_share: Mapped[Decimal] = mapped_column(Numeric, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    notified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# Indexes on the interaction log that only this domain needs, declared here so the model
# metadata matches the migrations. They are partial, so ingest of likes, shares etc. pays
# nothing for them.
PENDING_INDEX = Index(
    "ix_follower_interactions_text_workspace_id_id",
    FollowerInteraction.workspace_id,
    FollowerInteraction.id,
    postgresql_where=text(TEXT_FILTER),
)
# A content item's text interactions, read from the index alone (their ids, to join their
# sentiments): the item's sentiment counts (the content page's card and detail) without reading
# every interaction of the item (4 000 rows of a busy item on the large world, 20 ms).
CONTENT_TEXT_INDEX = Index(
    "ix_follower_interactions_text_content_id",
    FollowerInteraction.content_id,
    FollowerInteraction.workspace_id,
    FollowerInteraction.id,
    postgresql_where=text(TEXT_FILTER),
)
PARENT_INDEX = Index(
    "ix_follower_interactions_workspace_id_parent_external_id",
    FollowerInteraction.workspace_id,
    FollowerInteraction.parent_external_id,
    postgresql_where=text("parent_external_id IS NOT NULL"),
)
