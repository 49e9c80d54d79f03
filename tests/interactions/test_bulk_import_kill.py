"""`fanlens import` killed with SIGKILL during its load, between load and catch-up, and during
the catch-up: the next import, `fanlens score --full` or a worker's start completes the
derived rows, ending exactly where a clean import of the same file ends.

Each kill point is reached by holding a lock the import must wait for (a follower row it
upserts, the per-type counts table its catch-up rebuilds, a follower of a later chunk), so the
process is killed at that point and no other."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.pool import NullPool

from tests.fixtures.database import create_database, drop_database
from tests.helpers import fanlens_env, row_set, run_cli
from tests.interactions.test_changes import DERIVED

pytestmark = pytest.mark.xdist_group(name="kill")

FOLLOWERS = 6_000
ROUNDS = 3  # interactions per follower, one per pass over the followers
BATCH = 2_000  # lines per batch and followers per catch-up chunk: 9 bulk batches, 3 chunks
KINDS = ("like", "comment", "share", "save", "repost", "like", "like")


def _handle(n: int) -> str:
    return f"f{n:05d}"


def _platform(n: int) -> str:
    return "bluesky" if n % 2 == 0 else "mastodon"  # chunks by (platform, handle): 3 000 each


def _write_world(path: Path) -> int:
    """Every line an interaction with the platform's own time, so two imports of the file
    store the same log (an observed time would be when each import ran)."""
    rng = random.Random(26)
    start = datetime(2026, 1, 5, tzinfo=UTC)
    lines = 0
    with path.open("w", encoding="utf-8") as out:
        for r in range(ROUNDS):
            for n in range(FOLLOWERS):
                at = start + timedelta(days=rng.randrange(300), seconds=rng.randrange(86_400))
                record = {
                    "type": "interaction", "platform": _platform(n),
                    "interaction_type": rng.choice(KINDS),
                    "user": {"external_user_id": _handle(n), "username": _handle(n)},
                    "external_post_id": f"p{rng.randrange(40)}", "external_id": f"{n}-{r}",
                    "occurred_at": at.isoformat(),
                }  # fmt: skip
                out.write(json.dumps(record) + "\n")
                lines += 1
    return lines


def _pre_create(url: str, tmp: Path, handle_number: int) -> None:
    """A follower stored before the import (by a small import of its own), to be locked."""
    one = tmp / "one.jsonl"
    follower = {
        "type": "follower",
        "platform": _platform(handle_number),
        "external_user_id": _handle(handle_number),
    }
    one.write_text(json.dumps(follower) + "\n", encoding="utf-8")
    done = run_cli("import", str(one), env=fanlens_env(database_url=url))
    assert done.returncode == 0, done.stderr


def _workspace(conn: Connection) -> Any:
    return conn.execute(text("SELECT id FROM workspaces")).scalar_one()


def _derived(url: str) -> dict[str, set[tuple[Any, ...]]]:
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        ws = _workspace(conn)
        derived = {name: row_set(conn, sql, ws) for name, sql in DERIVED.items()}
    engine.dispose()
    return derived


def _state(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return dict(
            conn.execute(
                text(
                    "SELECT (SELECT count(*) FROM follower_interactions) AS log,"
                    " (SELECT coalesce(sum(interaction_count), 0) FROM follower_engagement_scores)"
                    "   AS scored,"
                    " (SELECT coalesce(sum(interactions), 0) FROM upkeep_backlog) AS waiting,"
                    " (SELECT count(*) FROM follower_engagement_scores s"
                    "  WHERE s.interaction_count > (SELECT count(*) FROM follower_interactions i"
                    "                               WHERE i.follower_id = s.follower_id)) AS ahead"
                )
            )
            .one()
            ._mapping
        )


def _wait_until(engine: Engine, proc: subprocess.Popen[bytes], sql: str) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the import ended before the point it was to be killed at"
        with engine.connect() as conn:
            if conn.execute(text(sql)).scalar():
                return
        time.sleep(0.05)
    raise AssertionError(f"never reached: {sql}")


WAITING = (
    "EXISTS (SELECT 1 FROM pg_stat_activity"
    " WHERE datname = current_database() AND wait_event_type = 'Lock')"
)
BLOCKED = f"SELECT {WAITING}"


@contextmanager
def _holding(engine: Engine, sql: str) -> Iterator[Connection]:
    """A transaction holding the lock `sql` takes, until the block ends."""
    conn = engine.connect()
    transaction = conn.begin()
    conn.execute(text(sql))
    try:
        yield conn
    finally:
        if transaction.is_active:
            transaction.rollback()
        conn.close()


def _import(url: str, world: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "fanlens", "import", str(world)],
        env=fanlens_env(database_url=url, FANLENS_INGEST_BATCH_SIZE=str(BATCH)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _kill(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)


def _lock_follower(n: int) -> str:
    return f"SELECT 1 FROM followers WHERE external_user_id = '{_handle(n)}' FOR UPDATE"


def _run_worker_start(url: str) -> None:
    """Start `fanlens worker` until it says it started (after its catch-up), then stop it."""
    worker = subprocess.Popen(
        [sys.executable, "-m", "fanlens", "worker"],
        env=fanlens_env(database_url=url, FANLENS_INGEST_BATCH_SIZE=str(BATCH)),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert worker.stdout is not None
        for line in worker.stdout:
            if "worker started" in line:
                break
        else:
            raise AssertionError("the worker stopped before it started")
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bulk") / "world.jsonl"
    assert _write_world(path) == FOLLOWERS * ROUNDS
    return path


@pytest.fixture(scope="module")
def clean(
    world: Path, admin_url: str, template_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, set[tuple[Any, ...]]]]:
    """The derived rows of an import nobody killed (after the same pre-created follower)."""
    # A name of its own: should the module's tests be split over two workers, each makes one.
    name = f"{template_database}_bulk_clean_{uuid.uuid4().hex[:6]}"
    url = create_database(admin_url, name, template=template_database)
    try:
        _pre_create(url, tmp_path_factory.mktemp("pre"), 5_000)
        proc = _import(url, world)
        assert proc.wait(timeout=600) == 0
        yield _derived(url)
    finally:
        drop_database(admin_url, name)


def _checked_after_kill(engine: Engine, *, load_done: bool) -> None:
    state = _state(engine)
    assert state["ahead"] == 0
    assert state["waiting"] > 0
    assert state["scored"] + state["waiting"] == state["log"]
    if load_done:
        assert state["log"] == FOLLOWERS * ROUNDS
    else:
        assert 0 < state["log"] < FOLLOWERS * ROUNDS


def test_killed_during_the_load_the_next_import_completes_it(
    world: Path, clean: dict[str, Any], fresh_database_url: str, tmp_path: Path
) -> None:
    _pre_create(fresh_database_url, tmp_path, 5_000)
    engine = create_engine(fresh_database_url, poolclass=NullPool)
    # f05000's first interaction is in the third batch: two commit, the third waits for it.
    with _holding(engine, _lock_follower(5_000)):
        proc = _import(fresh_database_url, world)
        _wait_until(engine, proc, BLOCKED)
        _kill(proc)
    _checked_after_kill(engine, load_done=False)
    engine.dispose()
    rerun = run_cli(
        "import", str(world), env=fanlens_env(database_url=fresh_database_url), timeout=600
    )
    assert rerun.returncode == 0, rerun.stderr
    assert _derived(fresh_database_url) == clean


def test_killed_between_load_and_catch_up_a_full_rescore_completes_it(
    world: Path, clean: dict[str, Any], fresh_database_url: str, tmp_path: Path
) -> None:
    _pre_create(fresh_database_url, tmp_path, 5_000)
    engine = create_engine(fresh_database_url, poolclass=NullPool)
    # The load never writes the per-type counts (its batches defer them); the catch-up's first
    # chunk waits to rebuild them.
    with _holding(engine, "LOCK TABLE follower_interaction_counts IN SHARE MODE"):
        proc = _import(fresh_database_url, world)
        _wait_until(engine, proc, BLOCKED)
        _kill(proc)
    _checked_after_kill(engine, load_done=True)
    assert _state(engine)["scored"] == 0
    engine.dispose()
    rescore = run_cli("score", "--full", env=fanlens_env(database_url=fresh_database_url))
    assert rescore.returncode == 0, rescore.stderr
    assert _derived(fresh_database_url) == clean


def test_killed_during_the_catch_up_a_worker_start_completes_it(
    world: Path, clean: dict[str, Any], fresh_database_url: str, tmp_path: Path
) -> None:
    _pre_create(fresh_database_url, tmp_path, 5_000)
    engine = create_engine(fresh_database_url, poolclass=NullPool)
    # Hold the catch-up before its first chunk, then let it run until the third chunk, which
    # holds mastodon's f05999 (followers are taken by platform and handle, 2 000 at a time).
    with _holding(engine, "LOCK TABLE follower_interaction_counts IN SHARE MODE") as table:
        proc = _import(fresh_database_url, world)
        _wait_until(engine, proc, BLOCKED)
        with _holding(engine, _lock_follower(5_999)):
            table.rollback()
            _wait_until(
                engine,
                proc,
                f"SELECT (SELECT count(*) FROM upkeep_backlog) <= 2000 AND {WAITING}",
            )
            _kill(proc)
    _checked_after_kill(engine, load_done=True)
    assert _state(engine)["scored"] > 0
    engine.dispose()
    _run_worker_start(fresh_database_url)
    assert _derived(fresh_database_url) == clean
