"""API read paths: content totals kept by triggers, so the content list pages through an index.

Revision ID: 0007
Revises: 0008
Create Date: 2026-11-26 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from fanlens.db.migrate import read_sql

revision: str = "0007"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _bigint(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger(), nullable=True)


def upgrade() -> None:
    op.create_table(
        "content_engagement_totals",
        sa.Column("content_id", sa.UUID(), nullable=False),
        sa.Column("platform_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "platforms",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("'{}'::text[]"),
            nullable=False,
        ),
        sa.Column("first_posted_at", sa.DateTime(timezone=True), nullable=True),
        _bigint("total_views"),
        _bigint("total_likes"),
        _bigint("total_comments"),
        _bigint("total_shares"),
        _bigint("total_saves"),
        sa.Column("total_engagement", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("engagement_rate", sa.Numeric(), nullable=True),
        sa.Column("best_platform", sa.Text(), nullable=True),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["content_id"],
            ["content_items.id"],
            name=op.f("fk_content_engagement_totals_content_id_content_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_content_engagement_totals_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("content_id", name=op.f("pk_content_engagement_totals")),
    )
    op.create_index(
        "ix_content_engagement_totals_workspace_id_total_engagement",
        "content_engagement_totals",
        ["workspace_id", "total_engagement", "content_id"],
    )
    op.execute(read_sql("0007_content_totals.sql"))


def downgrade() -> None:
    op.execute(read_sql("0007_drop.sql"))
    op.drop_index(
        "ix_content_engagement_totals_workspace_id_total_engagement",
        table_name="content_engagement_totals",
    )
    op.drop_table("content_engagement_totals")
