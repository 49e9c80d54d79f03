"""Every workspace's behaviour tier history replayed from the log, writing only the rows that
differ. Before `late_interactions_replay`, a per-batch insert holding a follower's older and
newer interactions together did not replay their history, so a database may hold changes dated
later than the interactions that made them, or missing; scores were right, so no rescore's
check finds them. The functions of fanlens.db.sql are applied first: a whole workspace's replay
goes through a temporary table and keeps the rows that are right (the tier-day rollups then
only re-read the followers whose rows changed).

About 4 minutes on the large world (1 M followers, 20 M interactions, 2 M tier changes), most
of it one sorted pass over the log. A downgrade keeps the current functions and rows.

Created 2026-12-07.
"""

from alembic import op

from fanlens.db import sql

revision = "replay_tier_histories"
down_revision = "workspace_content_joins"


def upgrade() -> None:
    sql.apply(op.get_bind())
    op.execute("SELECT fanlens_replay_tier_history(NULL, w.id) FROM workspaces w ORDER BY w.id")


def downgrade() -> None:
    pass
