"""The tier spans rollup's trigger reads a workspace's history once when its replay deletes and
rewrites all of it (db/sql/insights.sql, fanlens_tier_days_changed): the functions are applied
again.

Created 2026-12-07.
"""

from alembic import op

from fanlens.db import sql

revision = "tier_spans_once"
down_revision = "daily_backlog"


def upgrade() -> None:
    sql.apply(op.get_bind())


def downgrade() -> None:
    pass  # the same results either way; the functions stay, as other downgrades leave them
