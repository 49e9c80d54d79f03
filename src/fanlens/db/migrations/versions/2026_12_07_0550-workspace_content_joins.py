"""The functions of fanlens.db.sql applied again: the recency rules count a follower's
interactions of their own workspace, and the interaction triggers pair a statement's old and new
rows by id and workspace_id (an edited text drops the verdict of its own workspace only). The
comments index holds workspace_id after the item, so an item's top commenters, counted within
the workspace, still read the index alone.

No data changes, so a downgrade keeps the current functions.

Created 2026-12-07.
"""

from alembic import op

from fanlens.db import sql

revision = "workspace_content_joins"
down_revision = "tier_spans_once"


def upgrade() -> None:
    # IF NOT EXISTS: a large database may have it built beforehand (CREATE INDEX CONCURRENTLY).
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_follower_interactions_comments_content_id_workspace_id"
        " ON follower_interactions (content_id, workspace_id, follower_id, occurred_at)"
        " WHERE interaction_type = 'comment'"
    )
    op.execute("DROP INDEX IF EXISTS ix_follower_interactions_comments_content_id_follower_id")
    sql.apply(op.get_bind())


def downgrade() -> None:
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_follower_interactions_comments_content_id_follower_id"
        " ON follower_interactions (content_id, follower_id, occurred_at)"
        " WHERE interaction_type = 'comment'"
    )
    op.execute("DROP INDEX IF EXISTS ix_follower_interactions_comments_content_id_workspace_id")
