"""A bulk import brings a follower's derived rows up to date after its load: `upkeep_backlog`
holds the followers waiting for that catch-up, and the functions of fanlens.db.sql are applied
again (the insert triggers record a bulk batch's followers there; `fanlens_catch_up`).

Created 2026-12-07.
"""

from alembic import op

from fanlens.db import sql

revision = "upkeep_backlog"
down_revision = "account_content_keys"


def upgrade() -> None:
    op.execute(
        "CREATE TABLE upkeep_backlog ("
        " workspace_id uuid NOT NULL"
        "  CONSTRAINT fk_upkeep_backlog_workspace_id_workspaces REFERENCES workspaces (id)"
        "  ON DELETE CASCADE,"
        " follower_id uuid NOT NULL,"
        " interactions bigint NOT NULL,"
        " CONSTRAINT pk_upkeep_backlog PRIMARY KEY (follower_id, workspace_id))"
    )
    sql.apply(op.get_bind())


def downgrade() -> None:
    # Caught up first, so no derived row is left waiting. The functions stay (they name the
    # table only for a bulk batch or a catch-up), as other downgrades leave them.
    op.execute(
        "SELECT fanlens_catch_up(w.workspace_id, NULL)"
        " FROM (SELECT DISTINCT workspace_id FROM upkeep_backlog) w"
    )
    op.execute("DROP TABLE upkeep_backlog")
