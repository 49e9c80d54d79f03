"""The nightly rescore never runs twice for one tick: two concurrent calls, two real workers."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import UTC, datetime

import psycopg
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from fanlens.db.queue import conninfo, ensure_schema
from fanlens.scoring.runner import rescore_all
from fanlens.scoring.schemas import RescoreResult
from tests.fixtures.builders import create_follower, create_workspace
from tests.helpers import fanlens_env
from tests.scoring.helpers import T0, insert_batch


def _seed(url: str) -> None:
    engine = create_engine(url, poolclass=NullPool)
    with Session(engine) as session:
        ws = create_workspace(session)
        fans = [create_follower(session, ws) for _ in range(20)]
        insert_batch(session, [(f, "comment", T0) for f in fans])
        session.commit()
    engine.dispose()


def test_conninfo_is_a_libpq_uri_for_the_same_database(fresh_database_url: str) -> None:
    info = conninfo(fresh_database_url)
    assert info.startswith("postgresql://")
    with psycopg.connect(info) as conn:
        row = conn.execute("SELECT current_database()").fetchone()
    assert row is not None and row[0] in fresh_database_url
    assert ensure_schema(fresh_database_url) is True
    assert ensure_schema(fresh_database_url) is False  # idempotent


def test_two_concurrent_nightly_calls_rescore_each_workspace_once(
    fresh_database_url: str,
) -> None:
    _seed(fresh_database_url)
    engine = create_engine(fresh_database_url, poolclass=NullPool)
    tick = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
    start = threading.Barrier(2)
    outcomes: list[list[RescoreResult]] = []

    def run() -> None:
        start.wait()
        outcomes.append(rescore_all(kind="nightly", scheduled_for=tick, engine=engine))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    ran = [r.workspace_id for results in outcomes for r in results if r.ran]
    skipped = [r.workspace_id for results in outcomes for r in results if not r.ran]
    assert len(ran) == 2  # the default workspace and the seeded one
    assert sorted(map(str, ran)) == sorted(map(str, skipped))
    with engine.connect() as conn:
        runs = conn.execute(text("SELECT count(*) FROM scoring_runs WHERE kind = 'nightly'"))
        assert runs.scalar() == 2
    engine.dispose()


def test_two_worker_processes_run_each_nightly_tick_once(fresh_database_url: str) -> None:
    _seed(fresh_database_url)
    ensure_schema(fresh_database_url)
    env = fanlens_env(
        database_url=fresh_database_url,
        FANLENS_RESCORE_CRON="* * * * * */2",  # every 2 seconds, so the test sees several ticks
        FANLENS_ALERT_CRON="0 0 1 1 *",
    )
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "fanlens", "worker", "--name", f"w{i}"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for i in range(2)
    ]
    engine = create_engine(fresh_database_url, poolclass=NullPool)
    query = text(
        "SELECT count(DISTINCT scheduled_for) FROM scoring_runs WHERE kind = 'nightly' "
        "AND finished_at IS NOT NULL"
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                if (conn.execute(query).scalar() or 0) >= 4:
                    break
            time.sleep(0.5)
    finally:
        for w in workers:
            w.terminate()
        logs = [w.communicate(timeout=60)[0] for w in workers]
    with engine.connect() as conn:
        ticks = conn.execute(query).scalar()
        per_tick = conn.execute(
            text(
                "SELECT (args->>'timestamp')::bigint AS tick, count(*) AS jobs, "
                "count(*) FILTER (WHERE status = 'succeeded') AS ok "
                "FROM procrastinate_jobs WHERE task_name LIKE '%nightly_rescore' GROUP BY 1"
            )
        ).all()
        runs_per_tick = conn.execute(
            text(
                "SELECT max(n) FROM (SELECT count(*) AS n FROM scoring_runs "
                "WHERE kind = 'nightly' GROUP BY workspace_id, scheduled_for) t"
            )
        ).scalar()
        worker_names = conn.execute(text("SELECT count(*) FROM procrastinate_workers")).scalar()
    engine.dispose()
    assert ticks is not None and ticks >= 4, logs
    assert all("worker started" in log for log in logs), logs
    assert worker_names is not None
    assert per_tick and all(row.jobs == 1 for row in per_tick), per_tick  # one job per tick
    assert runs_per_tick == 1
