"""A follower's observed-time interactions by time (a partial index), so the follower detail's
"seen by" reads the newest one instead of every interaction of the follower.

Created 2026-12-07.
"""

from alembic import op

revision = "observed_by_follower"
down_revision = "pair_joins"


def upgrade() -> None:
    # IF NOT EXISTS: a large database may have it built beforehand (CREATE INDEX CONCURRENTLY).
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_follower_interactions_observed_follower_id"
        " ON follower_interactions (follower_id, occurred_at)"
        " WHERE time_precision = 'observed'"
    )


def downgrade() -> None:
    op.drop_index(
        "ix_follower_interactions_observed_follower_id", table_name="follower_interactions"
    )
