"""The tables an account's syncs write (sync_runs, sync_state, connector_retired_metrics,
live_gaps) hold `workspace_id`, filled from their account, and their primary keys and unique
constraints hold it after their own columns, so that Citus can distribute them by workspace
(docs/scale-out.md). The upserts on `sync_state` and `connector_retired_metrics` name the
unique constraint, `uq_<table>_key`.

Created 2026-12-07.
"""

from alembic import op

revision = "account_tables_workspace"
down_revision = "workspace_keys"

TABLES = ("sync_runs", "sync_state", "connector_retired_metrics", "live_gaps")

# Each unique constraint's columns before this revision; with `workspace_id` it is named
# `uq_<table>_key`.
UNIQUES = {
    "sync_state": "account_id, stream",
    "connector_retired_metrics": "account_id, metric, media_type",
}


def _columns_name(table: str, columns: str) -> str:
    return f"uq_{table}_" + "_".join(c.strip() for c in columns.split(","))


def upgrade() -> None:
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ADD COLUMN workspace_id uuid")
        op.execute(
            f"UPDATE {table} t SET workspace_id = a.workspace_id"
            " FROM accounts a WHERE a.id = t.account_id"
        )
        op.execute(
            f"ALTER TABLE {table} ALTER COLUMN workspace_id SET NOT NULL,"
            f" ADD CONSTRAINT fk_{table}_workspace_id_workspaces FOREIGN KEY (workspace_id)"
            " REFERENCES workspaces (id) ON DELETE CASCADE,"
            f" DROP CONSTRAINT pk_{table}, ADD CONSTRAINT pk_{table} PRIMARY KEY (id, workspace_id)"
        )
    for table, columns in UNIQUES.items():
        op.execute(
            f"ALTER TABLE {table} DROP CONSTRAINT {_columns_name(table, columns)},"
            f" ADD CONSTRAINT uq_{table}_key UNIQUE ({columns}, workspace_id)"
        )


def downgrade() -> None:
    for table, columns in UNIQUES.items():
        op.execute(
            f"ALTER TABLE {table} DROP CONSTRAINT uq_{table}_key,"
            f" ADD CONSTRAINT {_columns_name(table, columns)} UNIQUE ({columns})"
        )
    for table in TABLES:
        op.execute(
            f"ALTER TABLE {table} DROP CONSTRAINT pk_{table},"
            f" ADD CONSTRAINT pk_{table} PRIMARY KEY (id)"
        )
        op.drop_column(table, "workspace_id")
