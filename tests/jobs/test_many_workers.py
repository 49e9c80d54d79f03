"""Issue #26, many workers: three `fanlens worker` processes share the queue; one is killed
(SIGKILL) in the middle of an account sync. Every job still succeeds, and each account holds
every interaction of its platform once, in its rows and in the counts kept by triggers."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any, TypeVar

from procrastinate import App, PsycopgConnector
from sqlalchemy import Engine, text

from fanlens.connectors import service
from fanlens.db.engine import unit_of_work
from fanlens.db.queue import conninfo, ensure_schema
from fanlens.demo.generate import World
from fanlens.simulators import ids
from fanlens.workspaces import service as workspaces
from tests.connectors.conftest import db, start_sim, world  # noqa: F401  (fixtures)
from tests.connectors.expectations import expected_counts
from tests.helpers import fanlens_env

T = TypeVar("T")
ACCOUNTS = 4
NEVER = "0 0 1 1 *"  # the other periodic jobs stay out of the way
STALLED_AFTER = 6  # seconds: a short heartbeat window keeps the test quick


def _wait(what: str, probe: Callable[[], T | None], seconds: float = 60) -> T:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"waited {seconds:.0f} s for {what}")


def _scalar(engine: Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def _accounts(engine: Engine) -> dict[uuid.UUID, uuid.UUID]:
    """One Bluesky account of the same creator in each of ACCOUNTS workspaces: account → ws."""
    made = {}
    with unit_of_work(engine) as session:
        for _ in range(ACCOUNTS):
            ws = workspaces.create(session=session, name=f"ws-{uuid.uuid4().hex[:8]}")
            account = service.add(
                session=session, workspace_id=ws.id, platform="bluesky",
                handle=ids.BLUESKY_CREATOR_HANDLE, credentials={"access_token": None},
            )  # fmt: skip
            made[account.id] = ws.id
    return made


def _queue_syncs(url: str, account_ids: list[uuid.UUID]) -> list[int]:
    """The jobs the sync schedule queues (fanlens.jobs.tasks._queue_syncs), by task name."""
    app = App(connector=PsycopgConnector(conninfo=conninfo(url)))
    with app.open():
        return [
            app.configure_task(
                "fanlens:sync_account", queueing_lock=f"sync:{a}", lock=f"sync:{a}"
            ).defer(account_id=str(a))
            for a in account_ids
        ]


def _start_worker(env: dict[str, str], engine: Engine, n: int) -> tuple[int, subprocess.Popen[str]]:
    """Start a worker; its id in procrastinate_workers, and its process."""
    before = set(_worker_ids(engine))
    proc = subprocess.Popen(
        [sys.executable, "-m", "fanlens", "worker", "--name", f"w{n}"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    [worker_id] = _wait(f"worker w{n} to register", lambda: set(_worker_ids(engine)) - before)
    return worker_id, proc


def _worker_ids(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return list(conn.execute(text("SELECT id FROM procrastinate_workers")).scalars())


def test_three_workers_and_one_killed_mid_sync_lose_no_job_and_apply_none_twice(
    db: Engine,  # noqa: F811
    fresh_database_url: str,
    world: World,  # noqa: F811
    start_sim: Any,  # noqa: F811
) -> None:
    records = [r for r in world.records() if r["platform"] == "bluesky"]
    sim = start_sim("bluesky", records)
    sim.set_faults(delay={"count": -1, "seconds": 0.3})  # each sync takes a few seconds
    accounts = _accounts(db)
    ensure_schema(fresh_database_url)
    env = fanlens_env(
        database_url=fresh_database_url,
        FANLENS_BLUESKY_BASE_URL=sim.base_url,
        FANLENS_WORKER_STALLED_AFTER=str(STALLED_AFTER),
        FANLENS_STALLED_CRON="* * * * * *",  # every second
        **{
            f"FANLENS_{name}_CRON": NEVER
            for name in ("SYNC", "RESCORE", "ALERT", "SENTIMENT", "PEOPLE", "OUTREACH")
        },
        **{f"FANLENS_{name}_CRON": NEVER for name in ("TIKTOK_RECENT", "YOUTUBE_RECENT")},
        FANLENS_YOUTUBE_WEBSUB_CRON=NEVER,
    )
    workers: dict[int, subprocess.Popen[str]] = {}
    try:
        for n in range(3):
            worker_id, proc = _start_worker(env, db, n)
            workers[worker_id] = proc
        jobs = _queue_syncs(fresh_database_url, list(accounts))  # all three are ready
        holder = text(
            "SELECT id, worker_id FROM procrastinate_jobs WHERE status = 'doing' "
            "AND task_name = 'fanlens:sync_account' AND worker_id = ANY(:w) LIMIT 1"
        )

        def held() -> Any:
            with db.connect() as conn:
                return conn.execute(holder, {"w": list(workers)}).first()

        victim_job, victim = _wait("a worker to hold a sync job", held)
        workers[victim].send_signal(signal.SIGKILL)
        workers[victim].wait(timeout=10)
        # Killed in the middle: the job was still running when its worker died.
        status = _scalar(db, "SELECT status FROM procrastinate_jobs WHERE id = :j", j=victim_job)
        assert status == "doing"

        def all_done() -> bool:
            left = _scalar(
                db, "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing') "
                "AND task_name <> 'fanlens:retry_stalled_jobs'"
            )  # fmt: skip
            return left == 0 and _scalar(
                db, "SELECT count(*) FROM procrastinate_jobs WHERE id = ANY(:j) "
                "AND status = 'succeeded'", j=jobs,
            ) == len(jobs)  # fmt: skip

        _wait("every sync to succeed after the kill", all_done)
    finally:
        for proc in workers.values():
            if proc.poll() is None:
                proc.terminate()
        logs = [proc.communicate(timeout=60)[0] for proc in workers.values()]

    with db.connect() as conn:
        statuses = Counter(
            conn.execute(
                text(
                    "SELECT CASE WHEN task_name = 'fanlens:retry_stalled_jobs' THEN 'check: ' "
                    "ELSE '' END || status FROM procrastinate_jobs"
                )
            ).scalars()
        )
        victim_row = conn.execute(
            text("SELECT status, attempts FROM procrastinate_jobs WHERE id = :j"),
            {"j": victim_job},
        ).one()
    assert statuses["succeeded"] >= len(jobs)  # the syncs, and the analyses they queued
    assert {"succeeded", "check: succeeded"} >= set(statuses) - {"check: todo"}, statuses
    retries = [line for log in logs for line in log.splitlines() if "queued again" in line]
    # finishing counts an attempt too: one run cut short, one run to the end
    assert victim_row.status == "succeeded" and victim_row.attempts == 2, (victim_row, retries)
    assert any(f"job {victim_job} " in log for log in logs), logs  # retried, as it says

    expected = expected_counts(world, "bluesky")
    assert sum(expected.values()) > 0
    for account_id, ws in accounts.items():
        with db.connect() as conn:
            stored = Counter(
                {
                    (user, kind): n
                    for user, kind, n in conn.execute(
                        text(
                            "SELECT f.external_user_id, i.interaction_type, count(*) "
                            "FROM follower_interactions i JOIN followers f ON f.id = i.follower_id "
                            "WHERE i.workspace_id = :ws GROUP BY 1, 2"
                        ),
                        {"ws": ws},
                    )
                }
            )
            counted = conn.execute(
                text(
                    "SELECT coalesce(sum(interaction_count), 0) FROM interaction_daily_counts "
                    "WHERE workspace_id = :ws"
                ),
                {"ws": ws},
            ).scalar()
            runs = Counter(
                conn.execute(
                    text("SELECT status FROM sync_runs WHERE account_id = :a"), {"a": account_id}
                ).scalars()
            )
        assert stored == expected, account_id  # every interaction, each once
        assert counted == sum(expected.values()), account_id  # trigger-kept counts: once
        assert runs["succeeded"] >= 1, runs
