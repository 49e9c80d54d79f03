"""Stored observed-time interactions with a platform id, by type and identity (a partial index),
so ingest finds the ones a batch brings an exact time for without reading every stored row it
re-sends.

Created 2026-12-06.
"""

from alembic import op

revision = "observed_index"
down_revision = "tier_counts_no_empty_rows"


def upgrade() -> None:
    op.execute(
        "CREATE INDEX ix_follower_interactions_observed_dedup_key"
        " ON follower_interactions (workspace_id, platform, interaction_type, dedup_key)"
        " WHERE time_precision = 'observed' AND external_id IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_index("ix_follower_interactions_observed_dedup_key", table_name="follower_interactions")
