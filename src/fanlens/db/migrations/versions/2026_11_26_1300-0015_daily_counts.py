"""Read rollups: interaction_daily_counts kept by triggers; an index for top commenters.

Revision ID: 0015
Revises: 0009
Create Date: 2026-11-26 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fanlens.db.migrate import read_sql

revision: str = "0015"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "interaction_daily_counts",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("content_id", sa.UUID(), nullable=True),
        sa.Column("platform", sa.Text(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("interaction_type", sa.Text(), nullable=False),
        sa.Column("interaction_count", sa.BigInteger(), nullable=False),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_interaction_daily_counts_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interaction_daily_counts")),
        sa.UniqueConstraint(
            "workspace_id",
            "content_id",
            "platform",
            "day",
            "interaction_type",
            name=op.f("uq_interaction_daily_counts_key"),
            postgresql_nulls_not_distinct=True,
        ),
    )
    op.create_index(
        "ix_interaction_daily_counts_workspace_id_day",
        "interaction_daily_counts",
        ["workspace_id", "day"],
    )
    op.create_index(
        "ix_interaction_daily_counts_emptied",
        "interaction_daily_counts",
        ["workspace_id"],
        postgresql_where=sa.text("interaction_count <= 0"),
    )
    # Top commenters of an item group its comments by follower: this partial index answers
    # that from the index alone, and only comments pay for it at ingest.
    op.create_index(
        "ix_follower_interactions_comments_content_id_follower_id",
        "follower_interactions",
        ["content_id", "follower_id", "occurred_at"],
        postgresql_where=sa.text("interaction_type = 'comment'"),
    )
    op.execute(read_sql("0015_daily_counts.sql"))


def downgrade() -> None:
    op.execute(read_sql("0015_drop.sql"))
    op.drop_index(
        "ix_follower_interactions_comments_content_id_follower_id",
        table_name="follower_interactions",
    )
    op.drop_table("interaction_daily_counts")
