"""The tables an account's syncs write take their account's workspace when the migration adds
`workspace_id` to them."""

from __future__ import annotations

from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from fanlens.db import migrate

REVISION = "account_tables_workspace"
TABLES = ("sync_runs", "sync_state", "connector_retired_metrics", "live_gaps")


def test_rows_of_each_account_get_its_workspace(empty_database_url: str) -> None:
    engine = create_engine(empty_database_url, poolclass=NullPool)
    parent = ScriptDirectory.from_config(migrate.alembic_config()).get_revision(REVISION)
    migrate.upgrade(engine, str(parent.down_revision))
    with engine.begin() as conn:
        for name in ("one", "two"):
            conn.execute(
                text(
                    """
                    WITH ws AS (INSERT INTO workspaces (name) VALUES (:n) RETURNING id),
                    a AS (INSERT INTO accounts (workspace_id, platform, handle, external_id)
                          SELECT id, 'youtube', :n, :n FROM ws RETURNING id),
                    r AS (INSERT INTO sync_runs (account_id) SELECT id FROM a),
                    s AS (INSERT INTO sync_state (account_id, stream) SELECT id, 'posts' FROM a),
                    m AS (INSERT INTO connector_retired_metrics
                              (account_id, metric, media_type, message)
                          SELECT id, 'impressions', 'FEED', 'retired' FROM a)
                    INSERT INTO live_gaps (account_id, source, error) SELECT id, 'jetstream', 'x'
                    FROM a
                    """
                ),
                {"n": name},
            )

    migrate.upgrade(engine)

    with engine.connect() as conn:
        for table in TABLES:
            rows = conn.execute(
                text(
                    f"SELECT a.handle, t.workspace_id = a.workspace_id FROM {table} t"
                    " JOIN accounts a ON a.id = t.account_id ORDER BY a.handle"
                )
            ).all()
            assert [tuple(r) for r in rows] == [("one", True), ("two", True)], table
    engine.dispose()
