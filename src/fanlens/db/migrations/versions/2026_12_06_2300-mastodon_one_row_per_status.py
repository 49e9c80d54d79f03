"""One Mastodon status, one interaction: a fan's status in the thread of one of the creator's
posts was stored both as the thread's `comment` or `reply` and, from its notification, as a
`mention` with the same status id. The `mention` row of each such pair is deleted; the
triggers on follower_interactions bring counts, scores, tier history, rollups, retention and
sentiments back to what storing the status once gives.

Created 2026-12-06.
"""

from alembic import op

revision = "mastodon_one_row_per_status"
down_revision = "live_gaps"

DELETE_DUPLICATE_MENTIONS = """
DELETE FROM follower_interactions mention
USING follower_interactions thread
WHERE mention.platform = 'mastodon'
  AND mention.interaction_type = 'mention'
  AND thread.workspace_id = mention.workspace_id
  AND thread.platform = 'mastodon'
  AND thread.follower_id = mention.follower_id
  AND thread.external_id = mention.external_id
  AND thread.interaction_type IN ('comment', 'reply')
"""


def upgrade() -> None:
    op.execute(DELETE_DUPLICATE_MENTIONS)


def downgrade() -> None:
    pass  # the deleted rows were copies of rows that stay
