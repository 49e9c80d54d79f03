"""A sync killed mid-way resumes to the same state; two workers never sync one account at once."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import uuid

import pytest
from sqlalchemy import Engine, text

from fanlens.connectors.sync import SyncBusy, sync_account
from fanlens.demo.generate import World
from tests.connectors.conftest import add_account, fast_http
from tests.connectors.expectations import (
    expected_counts,
    expected_posts,
    stored_counts,
    stored_posts,
)
from tests.helpers import fanlens_env


def stored_pages(engine: Engine, account_id: uuid.UUID) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT count(*) FROM sync_state WHERE account_id = :id AND stream = 'comments'"
                ),
                {"id": account_id},
            ).scalar_one()
        )


@pytest.mark.slow
@pytest.mark.xdist_group(name="kill")
def test_kill_9_mid_sync_then_resume_reaches_the_same_state(
    world: World, db: Engine, fresh_database_url: str, start_sim, secret_key: str
) -> None:  # type: ignore[no-untyped-def]
    sim = start_sim("youtube", list(world.records()))
    sim.set_faults(delay={"count": -1, "seconds": 0.3})  # slow enough to be caught mid-way
    account_id = add_account(db, "youtube", sim)
    env = fanlens_env(
        fresh_database_url, FANLENS_SECRET_KEY=secret_key, FANLENS_YOUTUBE_BASE_URL=sim.base_url
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "fanlens", "sync", "--account", str(account_id)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while stored_pages(db, account_id) == 0:  # wait for the first committed comments page
            assert worker.poll() is None, "the sync ended before it could be killed"
            assert time.monotonic() < deadline, "the sync stored nothing within a minute"
            time.sleep(0.02)
        worker.kill()  # SIGKILL: no cleanup, no rollback handler, the connection just drops
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == -9
    partial = stored_counts(db, "youtube")
    assert partial != expected_counts(world, "youtube")  # it really stopped mid-way

    sim.clear_faults()
    resumed = sync_account(account_id=account_id, engine=db, http=fast_http())  # lock was freed

    assert resumed.status == "succeeded", resumed.message
    assert stored_posts(db, "youtube") == expected_posts(world, "youtube")
    assert stored_counts(db, "youtube") == expected_counts(world, "youtube")
    # The killed run is closed (failed: interrupted), not left running forever.
    with db.connect() as conn:
        statuses = (
            conn.execute(
                text("SELECT status FROM sync_runs WHERE account_id = :id ORDER BY started_at"),
                {"id": account_id},
            )
            .scalars()
            .all()
        )
    assert statuses == ["failed", "succeeded"]
    # It resumed from its cursors: videos whose comments were stored are not read again.
    assert resumed.items.get("comments", 0) < sum(expected_counts(world, "youtube").values())


def test_two_syncs_of_one_account_never_run_at_once(
    world: World, db: Engine, start_sim, secret_key: str
) -> None:  # type: ignore[no-untyped-def]
    sim = start_sim("bluesky", list(world.records()))
    account_id = add_account(db, "bluesky", sim)
    inside, release = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def hold(stream: str, items: int) -> None:
        inside.set()
        release.wait(timeout=60)  # the first sync pauses here, holding the account

    def first() -> None:
        outcome["first"] = sync_account(
            account_id=account_id, engine=db, http=fast_http(), progress=hold
        )

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert inside.wait(timeout=60)
        with pytest.raises(SyncBusy, match="already being synced"):
            sync_account(account_id=account_id, engine=db, http=fast_http())
    finally:
        release.set()
        thread.join(timeout=120)
    assert outcome["first"].status == "succeeded"  # type: ignore[attr-defined]
    # Once it is done, the account can be synced again.
    assert sync_account(account_id=account_id, engine=db, http=fast_http()).status == "succeeded"
    with db.connect() as conn:
        runs = conn.execute(
            text("SELECT count(*) FROM sync_runs WHERE account_id = :id"), {"id": account_id}
        ).scalar_one()
    assert runs == 2  # the refused attempt never started a run
