"""One time rule: only exact-time interactions date first/last seen, the daily rollups and the
active periods; observed-time ones go to the daily rollups' day NULL bucket, "time unknown".
Each is compared with a GROUP BY over the interaction log, after ingest and after a rebuild."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from fanlens.demo.generate import generate_world
from fanlens.interactions.ingest import ingest_records

EXACT_DAY = "CASE WHEN time_precision = 'exact' THEN (occurred_at AT TIME ZONE 'UTC')::date END"


def _set(conn: Connection, sql: str) -> set[tuple[Any, ...]]:
    return {tuple(r) for r in conn.execute(text(sql))}


def _seen(conn: Connection, exact_only: bool) -> tuple[set[Any], set[Any]]:
    where = "i.time_precision = 'exact'" if exact_only else "true"
    stored = _set(conn, "SELECT id, first_seen_at, last_seen_at FROM followers")
    truth = _set(
        conn,
        f"""SELECT f.id, min(i.occurred_at) FILTER (WHERE {where}),
                   max(i.occurred_at) FILTER (WHERE {where})
            FROM followers f LEFT JOIN follower_interactions i ON i.follower_id = f.id
            GROUP BY f.id""",
    )
    return stored, truth


def _days(conn: Connection, day: str) -> tuple[set[Any], set[Any]]:
    stored = _set(
        conn,
        "SELECT content_id, platform, day, interaction_type, interaction_count "
        "FROM interaction_daily_counts",
    )
    truth = _set(
        conn,
        f"SELECT content_id, platform, {day}, interaction_type, count(*) "
        "FROM follower_interactions GROUP BY 1, 2, 3, 4",
    )
    return stored, truth


def _periods(conn: Connection, exact_only: bool) -> tuple[set[Any], set[Any]]:
    where = "time_precision = 'exact'" if exact_only else "true"
    stored = _set(
        conn, "SELECT follower_id, period FROM follower_active_periods WHERE grain = 'week'"
    )
    truth = _set(
        conn,
        "SELECT DISTINCT follower_id, date_trunc('week', occurred_at AT TIME ZONE 'UTC')::date "
        f"FROM follower_interactions WHERE {where}",
    )
    return stored, truth


def test_the_stored_answers_follow_the_rule(fresh_database_url: str) -> None:
    engine = create_engine(fresh_database_url, poolclass=NullPool)
    with Session(engine) as session:
        ws = session.execute(text("SELECT id FROM workspaces WHERE name = 'default'")).scalar_one()
        records = generate_world("tiny", 5).records()
        ingest_records(session, workspace_id=ws, records=records, source="test")
        session.commit()
    with engine.connect() as conn:
        observed = conn.execute(
            text("SELECT count(*) FROM follower_interactions WHERE time_precision = 'observed'")
        ).scalar_one()
        assert observed > 0  # the world mixes both kinds
        stored, any_truth = _seen(conn, exact_only=False)
        assert stored != any_truth  # observed rows would date followers otherwise
        for stored, truth in (
            _seen(conn, exact_only=True),
            _days(conn, EXACT_DAY),
            _periods(conn, exact_only=True),
        ):
            assert stored == truth != set()

    with engine.begin() as conn:
        conn.execute(text("SELECT fanlens_retention_rebuild_workspace(:ws)"), {"ws": ws})
    with engine.connect() as conn:
        stored, truth = _periods(conn, exact_only=True)
        assert stored == truth != set()
    engine.dispose()
