"""The functions of fanlens.db.sql applied again: fanlens_rebuild_counts,
fanlens_retention_apply and fanlens_retention_rebuild join the (follower, workspace) pairs they
are given instead of filtering by `= ANY (ids)` beside them, which searched the whole array once
per row (a bulk import's catch-up of 5 000 followers took minutes).

Created 2026-12-07.
"""

from alembic import op

from fanlens.db import sql

revision = "pair_joins"
down_revision = "upkeep_backlog"


def upgrade() -> None:
    sql.apply(op.get_bind())


def downgrade() -> None:
    pass
