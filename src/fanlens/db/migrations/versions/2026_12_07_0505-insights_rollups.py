"""Insights rollups kept by triggers (db/sql/insights.sql): each post's first-24-hour engagement
(`post_first_day_engagement`), behaviour tier changes per day (`tier_change_days`) and tier
spans per day (`tier_hold_days`), derived once from the log and the tier history.

Created 2026-12-07.
"""

from alembic import op

from fanlens.db import sql

revision = "insights_rollups"
down_revision = "retention_last_active"

FUNCTIONS = (
    "fanlens_first_day_changed()",
    "fanlens_first_day_recount(uuid[], uuid)",
    "fanlens_first_day_post_moved()",
    "fanlens_tier_days_changed()",
    "fanlens_tier_hold_lines(text, integer)",
    "fanlens_insights_rebuild_workspace(uuid)",
)


def _workspace(table: str) -> str:
    return (
        f" workspace_id uuid NOT NULL CONSTRAINT fk_{table}_workspace_id_workspaces"
        "  REFERENCES workspaces (id) ON DELETE CASCADE,"
    )


def upgrade() -> None:
    op.execute(
        "CREATE TABLE post_first_day_engagement ("
        + _workspace("post_first_day_engagement")
        + " content_post_id uuid NOT NULL,"
        " platform text NOT NULL,"
        " posted_at timestamptz NOT NULL,"
        " engagement bigint NOT NULL,"
        " CONSTRAINT pk_post_first_day_engagement PRIMARY KEY (content_post_id, workspace_id),"
        " CONSTRAINT fk_post_first_day_engagement_content_post_id_content_posts"
        "  FOREIGN KEY (content_post_id, workspace_id)"
        "  REFERENCES content_posts (id, workspace_id) ON DELETE CASCADE)"
    )
    op.execute(
        "CREATE INDEX ix_post_first_day_engagement_workspace_id_platform"
        " ON post_first_day_engagement (workspace_id, platform)"
    )
    op.execute(
        "CREATE TABLE tier_change_days ("
        " id uuid DEFAULT gen_random_uuid() NOT NULL,"
        + _workspace("tier_change_days")
        + " day date NOT NULL,"
        " from_tier text,"
        " to_tier text NOT NULL,"
        " time_precision text NOT NULL,"
        " changes bigint NOT NULL,"
        " CONSTRAINT pk_tier_change_days PRIMARY KEY (id, workspace_id),"
        " CONSTRAINT uq_tier_change_days_key"
        "  UNIQUE NULLS NOT DISTINCT (workspace_id, day, from_tier, to_tier, time_precision))"
    )
    op.execute(
        "CREATE TABLE tier_hold_days ("
        " id uuid DEFAULT gen_random_uuid() NOT NULL,"
        + _workspace("tier_hold_days")
        + " day date NOT NULL,"
        " tier text NOT NULL,"
        " entered bigint NOT NULL,"
        " exited bigint NOT NULL,"
        " exited_held_week bigint NOT NULL,"
        " exited_held_month bigint NOT NULL,"
        " CONSTRAINT pk_tier_hold_days PRIMARY KEY (id, workspace_id),"
        " CONSTRAINT uq_tier_hold_days_workspace_id_day_tier UNIQUE (workspace_id, day, tier))"
    )
    sql.apply(op.get_bind())
    # One set-based pass per workspace: the first days from the partial index on exact times by
    # post, the tier history in one window pass.
    op.execute("SELECT fanlens_insights_rebuild_workspace(id) FROM workspaces ORDER BY id")
    op.execute("ANALYZE post_first_day_engagement")
    op.execute("ANALYZE tier_change_days")
    op.execute("ANALYZE tier_hold_days")


def downgrade() -> None:
    for function in FUNCTIONS:  # their triggers go with them
        op.execute(f"DROP FUNCTION IF EXISTS {function} CASCADE")
    for table in ("tier_hold_days", "tier_change_days", "post_first_day_engagement"):
        op.execute(f"DROP TABLE {table}")
