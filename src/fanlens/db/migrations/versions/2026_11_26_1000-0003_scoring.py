"""Scoring engine: per-workspace configs, tier history, scoring runs, drop alerts; functions.

Revision ID: 0003
Revises: 0005 (the lead re-chains it after 0002 at merge)
Create Date: 2026-11-26 10:00:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from fanlens.db.migrate import read_sql

revision: str = "0003"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _now() -> sa.TextClause:
    return sa.text("now()")


def _id() -> sa.Column[Any]:
    return sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False)


def _workspace_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["workspace_id"],
        ["workspaces.id"],
        name=op.f(f"fk_{table}_workspace_id_workspaces"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "scoring_configs",
        _id(),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("weights", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "super_fan_threshold", sa.Numeric(), server_default=sa.text("500"), nullable=False
        ),
        sa.Column("active_threshold", sa.Numeric(), server_default=sa.text("100"), nullable=False),
        sa.Column("lurker_threshold", sa.Numeric(), server_default=sa.text("10"), nullable=False),
        sa.Column("recency_mode", sa.Text(), server_default="none", nullable=False),
        sa.Column("recency_days", sa.Numeric(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.CheckConstraint(
            "super_fan_threshold > active_threshold AND active_threshold > lurker_threshold "
            "AND lurker_threshold >= 0",
            name=op.f("ck_scoring_configs_tier_order"),
        ),
        sa.CheckConstraint(
            "(recency_mode = 'none' AND recency_days IS NULL) OR "
            "(recency_mode IN ('window', 'half_life') AND recency_days > 0)",
            name=op.f("ck_scoring_configs_recency"),
        ),
        sa.CheckConstraint(
            "jsonb_typeof(weights) = 'object'", name=op.f("ck_scoring_configs_weights_object")
        ),
        _workspace_fk("scoring_configs"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scoring_configs")),
        sa.UniqueConstraint(
            "workspace_id", "version", name=op.f("uq_scoring_configs_workspace_id_version")
        ),
    )
    op.create_table(
        "follower_tier_changes",
        _id(),
        sa.Column("follower_id", sa.UUID(), nullable=False),
        sa.Column("from_tier", sa.Text(), nullable=True),
        sa.Column("to_tier", sa.Text(), nullable=False),
        sa.Column("score", sa.Numeric(), nullable=False),
        sa.Column("config_version", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["follower_id"],
            ["followers.id"],
            name=op.f("fk_follower_tier_changes_follower_id_followers"),
            ondelete="CASCADE",
        ),
        _workspace_fk("follower_tier_changes"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follower_tier_changes")),
    )
    op.create_index(
        "ix_follower_tier_changes_follower_id_changed_at",
        "follower_tier_changes",
        ["follower_id", "changed_at"],
    )
    op.create_index(
        "ix_follower_tier_changes_workspace_id_changed_at",
        "follower_tier_changes",
        ["workspace_id", "changed_at"],
    )
    op.create_table(
        "scoring_runs",
        _id(),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("scheduled_for", sa.DateTime(timezone=True), nullable=True),
        sa.Column("config_version", sa.Integer(), nullable=False),
        sa.Column("followers", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        _workspace_fk("scoring_runs"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scoring_runs")),
        sa.UniqueConstraint(
            "workspace_id",
            "kind",
            "scheduled_for",
            name=op.f("uq_scoring_runs_workspace_id_kind_scheduled_for"),
        ),
    )
    op.create_table(
        "engagement_alerts",
        _id(),
        sa.Column("platform", sa.Text(), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("current_value", sa.BigInteger(), nullable=False),
        sa.Column("trailing_mean", sa.Numeric(), nullable=False),
        sa.Column("drop_share", sa.Numeric(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        _workspace_fk("engagement_alerts"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engagement_alerts")),
        sa.UniqueConstraint(
            "workspace_id",
            "platform",
            "week",
            name=op.f("uq_engagement_alerts_workspace_id_platform_week"),
        ),
    )
    op.execute(read_sql("0003_scoring.sql"))


def downgrade() -> None:
    op.execute(read_sql("0003_drop.sql"))
    op.drop_table("engagement_alerts")
    op.drop_table("scoring_runs")
    op.drop_index(
        "ix_follower_tier_changes_workspace_id_changed_at", table_name="follower_tier_changes"
    )
    op.drop_index(
        "ix_follower_tier_changes_follower_id_changed_at", table_name="follower_tier_changes"
    )
    op.drop_table("follower_tier_changes")
    op.drop_table("scoring_configs")
