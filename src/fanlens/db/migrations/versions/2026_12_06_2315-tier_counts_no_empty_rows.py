"""The functions of fanlens.db.sql applied again: a first score row that empties the inactive
tier removes that tier's row, as deletes already did; rows already left empty are removed.

Empty rows count nothing, so a downgrade keeps the current function and the rows away.

Created 2026-12-06.
"""

from alembic import op

from fanlens.db import sql

revision = "tier_counts_no_empty_rows"
down_revision = "mastodon_one_row_per_status"


def upgrade() -> None:
    sql.apply(op.get_bind())
    op.execute("DELETE FROM follower_tier_counts WHERE followers = 0 AND interactions = 0")


def downgrade() -> None:
    pass
