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
    func,
    text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from fanlens.db.base import Base, WorkspaceScoped, uuid_id, workspace_key


class FollowerInteraction(Base):
    """One action of one follower: a comment, like, share, save, visit, click, follow, …

    `dedup_key` identifies the interaction on its platform (see fanlens.interactions.keys), so
    storing the same interaction again is a no-op.

    No FOREIGN KEY constraints on this, the one high-volume table: per-row RI checks cost ~40 %
    of ingest time (measured, see README "Performance"). References are guaranteed instead by
    how rows are written (ids come from joins in the writing transaction, which locks the
    followers and posts it points at), and deletes cascade through statement-level triggers on
    followers, content_posts and content_items (db/sql/housekeeping.sql).
    """

    __tablename__ = "follower_interactions"
    __table_args__ = (
        workspace_key("id"),
        UniqueConstraint("workspace_id", "platform", "dedup_key"),
        CheckConstraint("time_precision IN ('exact', 'observed')", name="time_precision"),
        Index("ix_follower_interactions_follower_id_occurred_at", "follower_id", "occurred_at"),
        Index("ix_follower_interactions_content_id_occurred_at", "content_id", "occurred_at"),
        Index("ix_follower_interactions_content_post_id", "content_post_id"),
        Index("ix_follower_interactions_workspace_id_occurred_at", "workspace_id", "occurred_at"),
    )

    id: Mapped[uuid.UUID] = uuid_id()
    workspace_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    follower_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    content_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
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
    # When the fan last edited the text (the platform's time, or when fanlens saw the edit).
    edited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class InteractionChange(WorkspaceScoped, Base):
    """The latest known edit or the delete of one interaction, by its identity (platform and
    dedup key), whether or not the interaction itself is stored yet.

    A deleted interaction's row leaves follower_interactions (so every derived row follows
    through the existing delete triggers) and this row stays as its tombstone: the ingest
    pipeline never stores an interaction whose key has `deleted_at`, and stores one with a
    recorded edit with the edited text (fanlens.interactions.changes).
    """

    __tablename__ = "interaction_changes"
    __table_args__ = (
        workspace_key("id"),
        UniqueConstraint("workspace_id", "platform", "dedup_key"),
    )

    id: Mapped[uuid.UUID] = uuid_id()
    platform: Mapped[str] = mapped_column(Text, nullable=False)
    dedup_key: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    interaction_type: Mapped[str] = mapped_column(Text, nullable=False)
    external_id: Mapped[str | None] = mapped_column(Text)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    edited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    edited_text: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )


class IngestReject(WorkspaceScoped, Base):
    """A line that could not be stored, with where it came from and why, so nothing is lost."""

    __tablename__ = "ingest_rejects"
    __table_args__ = (
        workspace_key("id"),
        UniqueConstraint("workspace_id", "source", "line_number", "raw_hash"),
        Index("ix_ingest_rejects_workspace_id_created_at", "workspace_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = uuid_id()
    source: Mapped[str] = mapped_column(Text, nullable=False)
    line_number: Mapped[int] = mapped_column(Integer, nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    raw: Mapped[str] = mapped_column(Text, nullable=False)
    raw_hash: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )


class InteractionDailyCount(WorkspaceScoped, Base):
    """Derived: interactions per content item (or none), platform, UTC day and type.

    Kept by statement-level triggers on follower_interactions (db/sql/counts.sql) as
    deltas, so per-day and per-week charts read this small table instead of the log. Day NULL
    holds the observed-time interactions ("time unknown": no day of their own).
    """

    __tablename__ = "interaction_daily_counts"
    __table_args__ = (
        workspace_key("id"),
        UniqueConstraint(
            "workspace_id", "content_id", "platform", "day", "interaction_type",
            name="uq_interaction_daily_counts_key", postgresql_nulls_not_distinct=True,
        ),
        Index(
            "ix_interaction_daily_counts_workspace_id_day", "workspace_id", "day"
        ),
        Index(
            "ix_interaction_daily_counts_emptied", "workspace_id",
            postgresql_where=text("interaction_count <= 0"),
        ),
    )  # fmt: skip

    id: Mapped[uuid.UUID] = uuid_id()
    content_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    platform: Mapped[str] = mapped_column(Text, nullable=False)
    day: Mapped[date | None] = mapped_column(Date)
    interaction_type: Mapped[str] = mapped_column(Text, nullable=False)
    interaction_count: Mapped[int] = mapped_column(BigInteger, nullable=False)


# Top commenters of an item group its comments in the workspace by follower from this index
# alone; it is partial, so only comments pay for it at ingest.
COMMENTS_INDEX = Index(
    "ix_follower_interactions_comments_content_id_workspace_id",
    FollowerInteraction.content_id,
    FollowerInteraction.workspace_id,
    FollowerInteraction.follower_id,
    FollowerInteraction.occurred_at,
    postgresql_where=text("interaction_type = 'comment'"),
)

# Ingest looks up a batch's copies of stored observed-time interactions with a platform id to
# give them the exact time they bring (staging_repository.OBSERVED_KINDS, OBSERVED_TO_UPGRADE):
# first whether the workspace holds such rows of a type at all, then the copies. Partial, so it
# stays small and a batch with nothing to upgrade probes it instead of reading each stored row
# it re-sends.
OBSERVED_INDEX = Index(
    "ix_follower_interactions_observed_dedup_key",
    FollowerInteraction.workspace_id,
    FollowerInteraction.platform,
    FollowerInteraction.interaction_type,
    FollowerInteraction.dedup_key,
    postgresql_where=text("time_precision = 'observed' AND external_id IS NOT NULL"),
)

# A follower's newest observed-time interaction ("seen by" on the follower detail): partial, so
# the top fan's detail probes a few entries instead of reading every one of their interactions.
OBSERVED_BY_FOLLOWER_INDEX = Index(
    "ix_follower_interactions_observed_follower_id",
    FollowerInteraction.follower_id,
    FollowerInteraction.occurred_at,
    postgresql_where=text("time_precision = 'observed'"),
)

# A post's exact-time interactions by time (best time to post counts each post's first 24 hours):
# the count reads the index's range instead of every interaction of the post.
EXACT_BY_POST_INDEX = Index(
    "ix_follower_interactions_exact_content_post_id_occurred_at",
    FollowerInteraction.content_post_id,
    FollowerInteraction.occurred_at,
    postgresql_where=text("time_precision = 'exact'"),
)


class InteractionPlatformDay(WorkspaceScoped, Base):
    """Derived: interactions per platform and UTC day (interaction_daily_counts summed over
    content items and types), kept by triggers on that table (db/sql/rollups.sql) for the
    weekly trend. Day NULL: observed-time interactions ("time unknown")."""

    __tablename__ = "interaction_platform_days"
    __table_args__ = (
        workspace_key("id"),
        UniqueConstraint("workspace_id", "platform", "day", postgresql_nulls_not_distinct=True),
    )

    id: Mapped[uuid.UUID] = uuid_id()
    platform: Mapped[str] = mapped_column(Text, nullable=False)
    day: Mapped[date | None] = mapped_column(Date)
    interaction_count: Mapped[int] = mapped_column(BigInteger, nullable=False)


class UpkeepBacklog(WorkspaceScoped, Base):
    """Followers whose derived rows (per-type counts, first and last seen, score, tier history,
    retention) wait for a bulk import's catch-up, with how many interactions they wait for.

    A bulk batch records them in its own transaction instead of updating those rows
    (db/sql/upkeep.sql), so the log and this backlog commit together; the catch-up deletes a
    follower's row in the transaction that brings their rows up to date. No foreign key, as on
    follower_interactions: a deleted follower's row is dropped by the catch-up."""

    __tablename__ = "upkeep_backlog"
    __table_args__ = (workspace_key("follower_id"),)

    follower_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    interactions: Mapped[int] = mapped_column(BigInteger, nullable=False)


class UpkeepDailyBacklog(WorkspaceScoped, Base):
    """A bulk batch's additions to interaction_daily_counts, waiting for the catch-up: its
    interactions grouped as that table groups them, with how many each group gains.

    A bulk batch writes these rows instead of updating the daily counts (db/sql/counts.sql), in
    its own transaction, so the log and its pending additions commit together; the catch-up, or
    the first delete or update of the workspace's interactions, adds them to the daily counts
    and deletes them in one transaction (db/sql/upkeep.sql). Several rows may name one group."""

    __tablename__ = "upkeep_daily_backlog"
    __table_args__ = (workspace_key("id"),)

    id: Mapped[uuid.UUID] = uuid_id()
    content_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    platform: Mapped[str] = mapped_column(Text, nullable=False)
    day: Mapped[date | None] = mapped_column(Date)
    interaction_type: Mapped[str] = mapped_column(Text, nullable=False)
    interaction_count: Mapped[int] = mapped_column(BigInteger, nullable=False)
