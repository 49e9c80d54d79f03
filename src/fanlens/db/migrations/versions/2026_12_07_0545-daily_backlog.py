"""A bulk import adds to the per-content daily counts after its load: `upkeep_daily_backlog`
holds a bulk batch's additions to interaction_daily_counts until the catch-up (or the first
delete or update of the workspace's interactions) adds them, and the functions of
fanlens.db.sql are applied again.

Created 2026-12-07.
"""

from alembic import op

from fanlens.db import sql

revision = "daily_backlog"
down_revision = "text_by_content"


def upgrade() -> None:
    op.execute(
        "CREATE TABLE upkeep_daily_backlog ("
        " id uuid DEFAULT gen_random_uuid() NOT NULL,"
        " workspace_id uuid NOT NULL"
        "  CONSTRAINT fk_upkeep_daily_backlog_workspace_id_workspaces REFERENCES workspaces (id)"
        "  ON DELETE CASCADE,"
        " content_id uuid,"
        " platform text NOT NULL,"
        " day date,"
        " interaction_type text NOT NULL,"
        " interaction_count bigint NOT NULL,"
        " CONSTRAINT pk_upkeep_daily_backlog PRIMARY KEY (id, workspace_id))"
    )
    sql.apply(op.get_bind())


def downgrade() -> None:
    # The pending additions are added first, so no daily count is left short.
    op.execute(
        "SELECT fanlens_daily_backlog_merge(w.workspace_id)"
        " FROM (SELECT DISTINCT workspace_id FROM upkeep_daily_backlog) w"
    )
    op.execute("DROP TABLE upkeep_daily_backlog")
