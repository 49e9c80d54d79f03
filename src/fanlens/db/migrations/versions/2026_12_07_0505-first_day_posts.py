"""post_first_day_engagement holds a row for every post with a posted_at, with the post's
platform and posted_at beside its first-day engagement, so best time to post reads that table
alone instead of joining it to the posts. The table is rebuilt from the log.

Created 2026-12-07.
"""

from alembic import op

from fanlens.db import sql

revision = "first_day_posts"
down_revision = "platform_post_totals"


def upgrade() -> None:
    # Rebuilt whatever its shape (a database created at insights_rollups before it had the
    # posts' columns, or after): a derived table, recounted from the log below.
    op.execute("DROP TABLE post_first_day_engagement")
    op.execute(
        "CREATE TABLE post_first_day_engagement ("
        " workspace_id uuid NOT NULL"
        "  CONSTRAINT fk_post_first_day_engagement_workspace_id_workspaces"
        "  REFERENCES workspaces (id) ON DELETE CASCADE,"
        " content_post_id uuid NOT NULL,"
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
    sql.apply(op.get_bind())
    op.execute("SELECT fanlens_first_day_recount(NULL, id) FROM workspaces ORDER BY id")
    op.execute("ANALYZE post_first_day_engagement")


def downgrade() -> None:
    # Nothing to undo: the earlier revision's readers sum the same engagement (posts with none
    # add 0), and its functions are today's.
    pass
