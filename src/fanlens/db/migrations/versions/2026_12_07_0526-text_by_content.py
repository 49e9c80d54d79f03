"""A content item's text interactions (comments, replies, quotes, mentions with text) by item, a
partial index with their ids, so the item's sentiment counts read the index instead of every
interaction of the item.

Created 2026-12-07.
"""

from alembic import op

revision = "text_by_content"
down_revision = "first_day_posts"


def upgrade() -> None:
    # IF NOT EXISTS: a large database may have it built beforehand (CREATE INDEX CONCURRENTLY).
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_follower_interactions_text_content_id"
        " ON follower_interactions (content_id, workspace_id, id)"
        " WHERE interaction_type IN ('comment', 'reply', 'quote', 'mention')"
        " AND interaction_value IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_index("ix_follower_interactions_text_content_id", table_name="follower_interactions")
