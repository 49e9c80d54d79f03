"""People: one person behind one or more platform identities (followers), with merge history.

Every follower belongs to exactly one person. A statement-level trigger on followers gives each
new follower a person of its own (the person's id is the follower's id), so ingest keeps the
1 : 1 invariant without a row-by-row step. Merging moves identities between people and is
recorded in person_merges, so it can be undone exactly.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Float,
    Index,
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

SUGGESTION_KINDS = ("link", "same_handle", "similar_handle")
SUGGESTION_STATUSES = ("pending", "merged", "rejected")


class Person(WorkspaceScoped, TimestampMixin, Base):
    __tablename__ = "people"
    __table_args__ = (
        workspace_key("id"),
        workspace_reference("merged_into_id", "people", ondelete="SET NULL"),
    )

    id: Mapped[uuid.UUID] = uuid_id()
    # A label set by a person reviewing; otherwise the page shows the identities' names.
    display_name: Mapped[str | None] = mapped_column(Text)
    # Set while this person is merged into another (kept, not deleted, so unmerge is exact).
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))


class PersonIdentity(Base):
    """Which person a follower belongs to: one row per follower (the primary key)."""

    __tablename__ = "person_identities"
    __table_args__ = (
        workspace_key("follower_id"),
        workspace_reference("follower_id", "followers", ondelete="CASCADE"),
        workspace_reference("person_id", "people", ondelete="CASCADE"),
        Index("ix_person_identities_person_id", "person_id"),
    )

    # The follower's workspace, copied by the trigger. No foreign key to workspaces: deleting
    # the workspace deletes the follower, which deletes this row, and every foreign key check
    # is a per-row cost on ingest's hot path.
    workspace_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)

    follower_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    person_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)


class PersonSuggestion(WorkspaceScoped, Base):
    """Evidence that two identities are one person, waiting for review or already decided."""

    __tablename__ = "person_suggestions"
    __table_args__ = (
        workspace_key("id"),
        workspace_reference("follower_a_id", "followers", ondelete="CASCADE"),
        workspace_reference("follower_b_id", "followers", ondelete="CASCADE"),
        UniqueConstraint("workspace_id", "follower_a_id", "follower_b_id"),
        CheckConstraint("follower_a_id < follower_b_id", name="ordered_pair"),
        CheckConstraint(f"kind IN {SUGGESTION_KINDS}", name="kind"),
        CheckConstraint(f"status IN {SUGGESTION_STATUSES}", name="status"),
        CheckConstraint("confidence >= 0 AND confidence <= 1", name="confidence_range"),
        Index("ix_person_suggestions_workspace_id_status", "workspace_id", "status"),
    )

    id: Mapped[uuid.UUID] = uuid_id()
    follower_a_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    follower_b_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    kind: Mapped[str] = mapped_column(Text, nullable=False)
    confidence: Mapped[float] = mapped_column(Float, nullable=False)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False)
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'pending'"))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(Text)


class PersonMerge(WorkspaceScoped, Base):
    """One merge: which identities moved from source to target; unmerge moves them back."""

    __tablename__ = "person_merges"
    __table_args__ = (
        workspace_key("id"),
        workspace_reference("target_person_id", "people", ondelete="CASCADE"),
        workspace_reference("source_person_id", "people", ondelete="CASCADE"),
        workspace_reference("suggestion_id", "person_suggestions", ondelete="SET NULL"),
        CheckConstraint("method IN ('auto', 'manual')", name="method"),
        CheckConstraint("target_person_id <> source_person_id", name="distinct_people"),
        Index("ix_person_merges_target_person_id", "target_person_id"),
        Index("ix_person_merges_source_person_id", "source_person_id"),
    )

    id: Mapped[uuid.UUID] = uuid_id()
    target_person_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    source_person_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    follower_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)), nullable=False)
    method: Mapped[str] = mapped_column(Text, nullable=False)
    suggestion_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    confidence: Mapped[float | None] = mapped_column(Float)
    evidence: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
    merged_by: Mapped[str] = mapped_column(Text, nullable=False)
    merged_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    unmerged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    unmerged_by: Mapped[str | None] = mapped_column(Text)


class IdentityProfile(WorkspaceScoped, Base):
    """What the platform's profile endpoint said last (links; the rest lands on followers)."""

    __tablename__ = "identity_profiles"
    __table_args__ = (
        workspace_key("follower_id"),
        workspace_reference("follower_id", "followers", ondelete="CASCADE"),
    )

    follower_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    links: Mapped[list[str]] = mapped_column(
        JSONB, nullable=False, server_default=text("'[]'::jsonb")
    )
    refreshed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
