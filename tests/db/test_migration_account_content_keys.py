"""`fanlens db upgrade` moves a database holding accounts and content to keys with
`workspace_id`, keeps every row and every cascade, and `fanlens db downgrade` moves it back."""

from __future__ import annotations

from alembic.script import ScriptDirectory
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.pool import NullPool

from fanlens.db import migrate
from tests.helpers import fanlens_env, invoke_cli

REVISION = "account_content_keys"

# Every table the revision touches; `populate` gives each workspace one or two rows in each.
TABLES = (
    "accounts",
    "sync_runs",
    "sync_state",
    "connector_retired_metrics",
    "live_gaps",
    "content_items",
    "content_posts",
    "content_tags",
    "content_engagement_totals",
    "content_link_decisions",
    "sentiment_alerts",
)

POPULATE = """
WITH ws AS (INSERT INTO workspaces (name) VALUES (:n) RETURNING id),
a AS (INSERT INTO accounts (workspace_id, platform, handle, external_id)
      SELECT id, 'youtube', :n, :n FROM ws RETURNING id, workspace_id),
r AS (INSERT INTO sync_runs (account_id, workspace_id) SELECT id, workspace_id FROM a),
s AS (INSERT INTO sync_state (account_id, workspace_id, stream)
      SELECT id, workspace_id, 'posts' FROM a),
m AS (INSERT INTO connector_retired_metrics (account_id, workspace_id, metric, media_type, message)
      SELECT id, workspace_id, 'impressions', 'FEED', 'retired' FROM a),
g AS (INSERT INTO live_gaps (account_id, workspace_id, source, error)
      SELECT id, workspace_id, 'jetstream', 'x' FROM a),
ci AS (INSERT INTO content_items (workspace_id, slug) SELECT id, :n FROM ws
       RETURNING id, workspace_id),
p AS (INSERT INTO content_posts (workspace_id, content_id, platform, external_post_id)
      SELECT workspace_id, id, platform, :n FROM ci, unnest(ARRAY['youtube', 'tiktok']) platform
      RETURNING id, workspace_id, platform),
d AS (INSERT INTO content_link_decisions (workspace_id, post_id, other_post_id, decision)
      SELECT y.workspace_id, y.id, t.id, 'rejected' FROM p y, p t
      WHERE y.platform = 'youtube' AND t.platform = 'tiktok'),
t AS (INSERT INTO content_tags (workspace_id, content_id, tag_value)
      SELECT workspace_id, id, 'music' FROM ci)
INSERT INTO sentiment_alerts (workspace_id, content_id, day, negative_count, comment_count,
                              negative_share, baseline_share)
SELECT workspace_id, id, DATE '2026-12-01', 5, 10, 0.5, 0.1 FROM ci
"""


def _counts(conn: Connection) -> dict[str, int]:
    """Each table's rows per workspace, as `table:workspace name`."""
    counts: dict[str, int] = {}
    for table in TABLES:
        rows = conn.execute(
            text(
                f"SELECT w.name, count(*) FROM {table} t JOIN workspaces w ON w.id = t.workspace_id"
                " GROUP BY w.name"
            )
        )
        counts |= {f"{table}:{name}": n for name, n in rows}
    return counts


def _primary_key(conn: Connection, table: str) -> str:
    query = "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = :n"
    return str(conn.execute(text(query), {"n": f"pk_{table}"}).scalar_one())


def test_upgrade_keeps_rows_and_cascades_and_downgrade_restores(empty_database_url: str) -> None:
    engine = create_engine(empty_database_url, poolclass=NullPool)
    parent = ScriptDirectory.from_config(migrate.alembic_config()).get_revision(REVISION)
    migrate.upgrade(engine, str(parent.down_revision))
    with engine.begin() as conn:
        for name in ("one", "two"):
            conn.execute(text(POPULATE), {"n": name})
        before = _counts(conn)
    assert before["content_posts:one"] == 2 and before["content_engagement_totals:two"] == 1
    assert len(before) == 2 * len(TABLES)
    env = fanlens_env(database_url=empty_database_url)

    upgraded = invoke_cli("db", "upgrade", env=env)

    assert upgraded.returncode == 0, upgraded.stderr
    with engine.begin() as conn:
        assert migrate.current_revision(engine) == migrate.head_revision()
        assert _primary_key(conn, "content_posts") == "PRIMARY KEY (id, workspace_id)"
        assert _counts(conn) == before
        conn.execute(
            text(
                "DELETE FROM accounts a USING workspaces w WHERE w.id = a.workspace_id"
                " AND w.name = 'one'"
            )
        )
        conn.execute(
            text(
                "DELETE FROM content_items c USING workspaces w"
                " WHERE w.id = c.workspace_id AND w.name = 'one'"
            )
        )
        after = _counts(conn)
        assert after == {k: n for k, n in before.items() if k.endswith(":two")}
        conn.rollback()

    downgraded = invoke_cli("db", "downgrade", str(parent.down_revision), env=env)

    assert downgraded.returncode == 0, downgraded.stderr
    with engine.connect() as conn:
        assert _primary_key(conn, "accounts") == "PRIMARY KEY (id)"
        assert _counts(conn) == before
    engine.dispose()


def test_a_post_in_another_workspace_than_its_content_stops_the_upgrade(
    empty_database_url: str,
) -> None:
    engine = create_engine(empty_database_url, poolclass=NullPool)
    parent = ScriptDirectory.from_config(migrate.alembic_config()).get_revision(REVISION)
    migrate.upgrade(engine, str(parent.down_revision))
    with engine.begin() as conn:
        for name in ("one", "two"):
            conn.execute(text(POPULATE), {"n": name})
        conn.execute(
            text(
                "UPDATE content_posts p SET workspace_id = w.id FROM workspaces w"
                " WHERE w.name = 'two' AND p.external_post_id = 'one' AND p.platform = 'tiktok'"
            )
        )
    env = fanlens_env(database_url=empty_database_url)

    upgraded = invoke_cli("db", "upgrade", env=env)

    assert upgraded.returncode != 0
    assert "fk_content_posts_content_id_content_items" in upgraded.stderr
    assert migrate.current_revision(engine) == parent.down_revision  # nothing half done
    engine.dispose()
