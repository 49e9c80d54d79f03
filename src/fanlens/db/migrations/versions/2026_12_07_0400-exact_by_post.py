"""A post's exact-time interactions by time (a partial index), so best time to post counts each
post's first 24 hours from the index instead of reading every interaction of the post.

Created 2026-12-07.
"""

from alembic import op

revision = "exact_by_post"
down_revision = "observed_by_follower"


def upgrade() -> None:
    # IF NOT EXISTS: a large database may have it built beforehand (CREATE INDEX CONCURRENTLY).
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_follower_interactions_exact_content_post_id_occurred_at"
        " ON follower_interactions (content_post_id, occurred_at)"
        " WHERE time_precision = 'exact'"
    )


def downgrade() -> None:
    op.drop_index(
        "ix_follower_interactions_exact_content_post_id_occurred_at",
        table_name="follower_interactions",
    )
