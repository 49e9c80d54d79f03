"""People: people, person_identities, person_suggestions, person_merges, identity_profiles.

Revision ID: 0011
Revises: 0009 (the lead re-chains it at merge)
Create Date: 2026-11-26 13:00:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from fanlens.db.migrate import read_sql

revision: str = "0011"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _workspace(table: str) -> list[Any]:
    return [
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f(f"fk_{table}_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
    ]


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def _now(name: str) -> sa.Column:
    return sa.Column(
        name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=True),
        sa.Column("merged_into_id", sa.UUID(), nullable=True),
        _now("created_at"),
        _now("updated_at"),
        *_workspace("people"),
        _fk("people", "merged_into_id", "people", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
    )
    op.create_table(
        "person_identities",
        sa.Column("follower_id", sa.UUID(), nullable=False),
        sa.Column("person_id", sa.UUID(), nullable=False),
        sa.Column("workspace_id", sa.UUID(), nullable=False),  # no FK: see the model
        _fk("person_identities", "follower_id", "followers", "CASCADE"),
        _fk("person_identities", "person_id", "people", "CASCADE"),
        sa.PrimaryKeyConstraint("follower_id", name=op.f("pk_person_identities")),
    )
    op.create_index("ix_person_identities_person_id", "person_identities", ["person_id"])
    op.create_table(
        "person_suggestions",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("follower_a_id", sa.UUID(), nullable=False),
        sa.Column("follower_b_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("evidence", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.Text(), server_default=sa.text("'pending'"), nullable=False),
        _now("created_at"),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Text(), nullable=True),
        *_workspace("person_suggestions"),
        sa.CheckConstraint(
            "follower_a_id < follower_b_id", name=op.f("ck_person_suggestions_ordered_pair")
        ),
        sa.CheckConstraint(
            "kind IN ('link', 'same_handle', 'similar_handle')",
            name=op.f("ck_person_suggestions_kind"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'merged', 'rejected')", name=op.f("ck_person_suggestions_status")
        ),
        sa.CheckConstraint(
            "confidence >= 0 AND confidence <= 1",
            name=op.f("ck_person_suggestions_confidence_range"),
        ),
        _fk("person_suggestions", "follower_a_id", "followers", "CASCADE"),
        _fk("person_suggestions", "follower_b_id", "followers", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_suggestions")),
        sa.UniqueConstraint(
            "workspace_id",
            "follower_a_id",
            "follower_b_id",
            name=op.f("uq_person_suggestions_workspace_id_follower_a_id_follower_b_id"),
        ),
    )
    op.create_index(
        "ix_person_suggestions_workspace_id_status",
        "person_suggestions",
        ["workspace_id", "status"],
    )
    op.create_table(
        "person_merges",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("target_person_id", sa.UUID(), nullable=False),
        sa.Column("source_person_id", sa.UUID(), nullable=False),
        sa.Column("follower_ids", postgresql.ARRAY(sa.UUID()), nullable=False),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("suggestion_id", sa.UUID(), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("evidence", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("merged_by", sa.Text(), nullable=False),
        _now("merged_at"),
        sa.Column("unmerged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unmerged_by", sa.Text(), nullable=True),
        *_workspace("person_merges"),
        sa.CheckConstraint("method IN ('auto', 'manual')", name=op.f("ck_person_merges_method")),
        sa.CheckConstraint(
            "target_person_id <> source_person_id", name=op.f("ck_person_merges_distinct_people")
        ),
        _fk("person_merges", "target_person_id", "people", "CASCADE"),
        _fk("person_merges", "source_person_id", "people", "CASCADE"),
        _fk("person_merges", "suggestion_id", "person_suggestions", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_merges")),
    )
    op.create_index("ix_person_merges_target_person_id", "person_merges", ["target_person_id"])
    op.create_index("ix_person_merges_source_person_id", "person_merges", ["source_person_id"])
    op.create_table(
        "identity_profiles",
        sa.Column("follower_id", sa.UUID(), nullable=False),
        sa.Column(
            "links",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        _now("refreshed_at"),
        *_workspace("identity_profiles"),
        _fk("identity_profiles", "follower_id", "followers", "CASCADE"),
        sa.PrimaryKeyConstraint("follower_id", name=op.f("pk_identity_profiles")),
    )
    op.execute(read_sql("0011_people.sql"))


def downgrade() -> None:
    op.execute(read_sql("0011_drop.sql"))
    op.drop_table("identity_profiles")
    op.drop_table("person_merges")
    op.drop_table("person_suggestions")
    op.drop_table("person_identities")
    op.drop_table("people")
