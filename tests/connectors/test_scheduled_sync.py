"""Scheduled syncs: `fanlens worker` queues one job per active account and never runs two syncs
of one account at once, however many workers run."""

from __future__ import annotations

import itertools
import subprocess
import sys
import time
from typing import Any

from sqlalchemy import Engine, text

from fanlens.db.queue import ensure_schema
from fanlens.demo.generate import World
from tests.connectors.conftest import add_account
from tests.helpers import fanlens_env


def test_two_workers_sync_each_account_on_schedule_never_at_once(
    db: Engine, fresh_database_url: str, world: World, start_sim: Any
) -> None:
    records = [r for r in world.records() if r["platform"] == "bluesky"]
    sim = start_sim("bluesky", records)
    account_id = add_account(db, "bluesky", sim)
    ensure_schema(fresh_database_url)
    env = fanlens_env(
        database_url=fresh_database_url,
        FANLENS_BLUESKY_BASE_URL=sim.base_url,
        FANLENS_SYNC_CRON="* * * * * */2",  # every 2 seconds
        FANLENS_RESCORE_CRON="0 0 1 1 *",
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
    finished = text("SELECT count(*) FROM sync_runs WHERE account_id = :a AND status = 'succeeded'")
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with db.connect() as conn:
                if (conn.execute(finished, {"a": account_id}).scalar() or 0) >= 3:
                    break
            time.sleep(0.5)
    finally:
        for w in workers:
            w.terminate()
        logs = [w.communicate(timeout=60)[0] for w in workers]
    with db.connect() as conn:
        runs = conn.execute(
            text(
                "SELECT started_at, finished_at, status FROM sync_runs WHERE account_id = :a "
                "ORDER BY started_at"
            ),
            {"a": account_id},
        ).all()
        followers = conn.execute(
            text("SELECT count(*) FROM followers WHERE platform = 'bluesky'")
        ).scalar()
    done = [r for r in runs if r.status == "succeeded"]
    assert len(done) >= 3, (runs, logs)
    assert followers and followers > 0
    for earlier, later in itertools.pairwise(runs):  # never two syncs at once
        assert earlier.finished_at is not None and earlier.finished_at <= later.started_at, runs
