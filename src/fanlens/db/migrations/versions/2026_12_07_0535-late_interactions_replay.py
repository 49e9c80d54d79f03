"""The functions of fanlens.db.sql applied again: a per-batch insert replays the tier history
of a follower who got an interaction at or before their last tier change, even when the same
batch also brings newer ones; deletes and time changes replay the followers they touch.
`fanlens_score_followers` takes the followers to replay as a third argument; its old form is
dropped.

No data changes, so a downgrade keeps the current functions.

Created 2026-12-07.
"""

from alembic import op

from fanlens.db import sql

revision = "late_interactions_replay"
down_revision = "exact_by_post"


def upgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS fanlens_score_followers(uuid[], uuid)")
    sql.apply(op.get_bind())


def downgrade() -> None:
    pass
