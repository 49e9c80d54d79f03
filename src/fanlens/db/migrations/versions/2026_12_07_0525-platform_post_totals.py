"""`platform_post_totals`: per workspace and platform, the posts and their summed reported
metrics, kept by triggers on content_posts (db/sql/post_totals.sql), so the content page's platform
rates and the best-platform comparison read a few rows instead of every post. Filled from the
posts once (25 000 on the large world: one GROUP BY).

Created 2026-12-07.
"""

from alembic import op

from fanlens.db import sql

revision = "platform_post_totals"
down_revision = "insights_rollups"

COUNTS = (
    "posts",
    "views",
    "views_reported",
    "likes",
    "likes_reported",
    "comments",
    "comments_reported",
    "shares",
    "shares_reported",
    "saves",
    "saves_reported",
    "viewed_posts",
    "viewed_views",
    "viewed_engagement",
)


def upgrade() -> None:
    columns = ", ".join(f"{c} bigint DEFAULT 0 NOT NULL" for c in COUNTS)
    op.execute(
        "CREATE TABLE platform_post_totals ("
        " id uuid DEFAULT gen_random_uuid() NOT NULL,"
        " platform text NOT NULL,"
        f" {columns},"
        " workspace_id uuid NOT NULL"
        "  CONSTRAINT fk_platform_post_totals_workspace_id_workspaces REFERENCES workspaces (id)"
        "  ON DELETE CASCADE,"
        " CONSTRAINT pk_platform_post_totals PRIMARY KEY (id, workspace_id),"
        " CONSTRAINT uq_platform_post_totals_workspace_id_platform"
        "  UNIQUE (workspace_id, platform))"
    )
    op.execute(
        "INSERT INTO platform_post_totals (workspace_id, platform, " + ", ".join(COUNTS) + ")"
        " SELECT workspace_id, platform, count(*),"
        "  coalesce(sum(views), 0), count(views), coalesce(sum(likes), 0), count(likes),"
        "  coalesce(sum(comments), 0), count(comments), coalesce(sum(shares), 0), count(shares),"
        "  coalesce(sum(saves), 0), count(saves),"
        "  count(*) FILTER (WHERE views > 0),"
        "  coalesce(sum(views) FILTER (WHERE views > 0), 0),"
        "  coalesce(sum(coalesce(likes, 0) + coalesce(comments, 0) + coalesce(shares, 0)"
        "               + coalesce(saves, 0)) FILTER (WHERE views > 0), 0)"
        " FROM content_posts GROUP BY workspace_id, platform ORDER BY 1, 2"
    )
    sql.apply(op.get_bind())


def downgrade() -> None:
    for op_name in ("inserted", "updated", "deleted"):
        op.execute(f"DROP TRIGGER trg_content_posts_platform_totals_{op_name} ON content_posts")
    op.execute("DROP FUNCTION fanlens_platform_post_totals_changed()")
    op.execute("DROP TABLE platform_post_totals")
