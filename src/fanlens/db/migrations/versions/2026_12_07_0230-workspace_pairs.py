"""The functions of fanlens.db.sql applied again: the interaction and retention triggers pass
the followers they touched as (follower id, workspace id) pairs, so a rebuild of counts or
active periods and a rescore reach those followers in their own workspace only.
`fanlens_rebuild_counts`, `fanlens_retention_apply` and `fanlens_retention_rebuild` take the
workspaces as an extra array; their old forms are dropped.

No data changes, so a downgrade keeps the current functions.

Created 2026-12-07.
"""

from alembic import op

from fanlens.db import sql

revision = "workspace_pairs"
down_revision = "workspace_statements"


def upgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS fanlens_rebuild_counts(uuid[])")
    op.execute("DROP FUNCTION IF EXISTS fanlens_retention_rebuild(uuid[])")
    op.execute("DROP FUNCTION IF EXISTS fanlens_retention_apply(uuid[], integer)")
    sql.apply(op.get_bind())


def downgrade() -> None:
    pass
