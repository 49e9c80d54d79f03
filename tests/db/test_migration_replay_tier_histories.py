"""`fanlens db upgrade` repairs tier histories left wrong: a history with a change dated late
and one missing (its scores right) ends equal to the history and the tier-day rollups that the
log's replay gives, and a workspace whose history was right keeps its rows."""

from __future__ import annotations

from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.pool import NullPool

from fanlens.db import migrate

REVISION = "replay_tier_histories"

# Two workspaces, a follower each: a lurker at their first share, active at their tenth.
POPULATE = """
WITH ws AS (INSERT INTO workspaces (name) VALUES ('damaged'), ('right') RETURNING id),
fans AS (INSERT INTO followers (workspace_id, platform, external_user_id, username)
         SELECT id, 'tiktok', 'fan', 'fan' FROM ws RETURNING id, workspace_id)
INSERT INTO follower_interactions (workspace_id, follower_id, platform, interaction_type,
                                   occurred_at, dedup_key)
SELECT f.workspace_id, f.id, 'tiktok', 'share',
       timestamptz '2026-09-07 09:00+00' + n * interval '2 days', gen_random_uuid()
FROM fans f CROSS JOIN generate_series(0, 11) n
"""
HISTORY = """
SELECT w.name, t.from_tier, t.to_tier, t.score, t.changed_at, t.id
FROM follower_tier_changes t JOIN workspaces w ON w.id = t.workspace_id
WHERE t.kind = 'behaviour' ORDER BY 1, t.changed_at
"""
ROLLUPS = {
    "tier_change_days": "workspace_id, day, from_tier, to_tier, time_precision, changes",
    "tier_hold_days": "workspace_id, day, tier, entered, exited, exited_held_week, "
    "exited_held_month",
}


def _state(conn: Connection) -> dict[str, Any]:
    state: dict[str, Any] = {"history": [tuple(r)[:5] for r in conn.execute(text(HISTORY))]}
    for table, columns in ROLLUPS.items():
        rows = conn.execute(text(f"SELECT {columns} FROM {table} ORDER BY 1, 2, 3, 4"))
        state[table] = [tuple(r) for r in rows]
    return state


def test_the_upgrade_replays_every_workspaces_tier_history(empty_database_url: str) -> None:
    engine = create_engine(empty_database_url, poolclass=NullPool)
    parent = ScriptDirectory.from_config(migrate.alembic_config()).get_revision(REVISION)
    migrate.upgrade(engine, str(parent.down_revision))
    with engine.begin() as conn:
        conn.execute(text(POPULATE))
        replayed = _state(conn)
        right_ids = [r.id for r in conn.execute(text(HISTORY)) if r.name == "right"]
        damaged = "(SELECT id FROM workspaces WHERE name = 'damaged')"
        conn.execute(
            text(
                "UPDATE follower_tier_changes SET changed_at = changed_at + interval '1 day' "
                f"WHERE workspace_id = {damaged} AND to_tier = 'active'"
            )
        )
        conn.execute(
            text(
                "DELETE FROM follower_tier_changes "
                f"WHERE workspace_id = {damaged} AND to_tier = 'lurker'"
            )
        )
        assert _state(conn) != replayed
    migrate.upgrade(engine, REVISION)
    with engine.connect() as conn:
        assert [r.to_tier for r in conn.execute(text(HISTORY))] == ["lurker", "active"] * 2
        assert _state(conn) == replayed
        assert [r.id for r in conn.execute(text(HISTORY)) if r.name == "right"] == right_ids
    engine.dispose()
