"""Audience analytics: follower_active_periods, retention_cells (kept by triggers),
content_link_decisions.

Revision ID: 0012
Revises: 0010
Create Date: 2026-11-26 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fanlens.db.migrate import read_sql

revision: str = "0012"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GRAIN = "grain IN ('week', 'month')"


def _workspace_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["workspace_id"],
        ["workspaces.id"],
        name=op.f(f"fk_{table}_workspace_id_workspaces"),
        ondelete="CASCADE",
    )


def _post_fk(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        ["content_posts.id"],
        name=op.f(f"fk_{table}_{column}_content_posts"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "follower_active_periods",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("follower_id", sa.UUID(), nullable=False),
        sa.Column("grain", sa.Text(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("platform", sa.Text(), nullable=False),
        sa.CheckConstraint(GRAIN, name=op.f("ck_follower_active_periods_grain")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follower_active_periods")),
        sa.UniqueConstraint(
            "follower_id",
            "grain",
            "period",
            name=op.f("uq_follower_active_periods_follower_id_grain_period"),
        ),
    )
    op.create_table(
        "retention_cells",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("platform", sa.Text(), nullable=False),
        sa.Column("grain", sa.Text(), nullable=False),
        sa.Column("cohort", sa.Date(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("followers", sa.Integer(), nullable=False),
        sa.CheckConstraint(GRAIN, name=op.f("ck_retention_cells_grain")),
        _workspace_fk("retention_cells"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_cells")),
        sa.UniqueConstraint(
            "workspace_id",
            "platform",
            "grain",
            "cohort",
            "period",
            name=op.f("uq_retention_cells_workspace_id_platform_grain_cohort_period"),
        ),
    )
    op.create_table(
        "content_link_decisions",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("post_id", sa.UUID(), nullable=False),
        sa.Column("other_post_id", sa.UUID(), nullable=False),
        sa.Column("decision", sa.Text(), nullable=False),
        sa.Column("moved_post_id", sa.UUID(), nullable=True),
        sa.Column("previous_content_id", sa.UUID(), nullable=True),
        sa.Column(
            "decided_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.CheckConstraint(
            "decision IN ('accepted', 'rejected')", name=op.f("ck_content_link_decisions_decision")
        ),
        _post_fk("content_link_decisions", "post_id"),
        _post_fk("content_link_decisions", "other_post_id"),
        _workspace_fk("content_link_decisions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_link_decisions")),
        sa.UniqueConstraint(
            "workspace_id",
            "post_id",
            "other_post_id",
            name=op.f("uq_content_link_decisions_workspace_id_post_id_other_post_id"),
        ),
    )
    op.execute(read_sql("0012_retention.sql"))
    # Worlds stored before this migration: derive their periods and matrix once.
    op.execute("SELECT fanlens_retention_rebuild_workspace(id) FROM workspaces")


def downgrade() -> None:
    op.execute(read_sql("0012_drop.sql"))
    op.drop_table("content_link_decisions")
    op.drop_table("retention_cells")
    op.drop_table("follower_active_periods")
