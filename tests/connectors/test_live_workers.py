"""Many workers, one listener per account: the worker holding the account's advisory lock
listens; another takes over when it stops or loses its connection."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from fanlens.config import settings
from fanlens.connectors import listen
from fanlens.demo.generate import World
from fanlens.kit import locks
from tests.connectors.conftest import add_account
from tests.connectors.live_helpers import wait
from tests.connectors.test_live_bluesky import _interaction, _post_of, _rows


def _holder(db: Engine) -> Any:
    """The backend holding the account's live lock."""
    with db.connect() as conn:
        return conn.execute(
            text("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = :cls"),
            {"cls": locks.ACCOUNT_LIVE},
        ).scalar()


def test_two_workers_listen_to_an_account_once_and_the_second_takes_over(
    world: World,
    db: Engine,
    fresh_database_url: str,
    start_sim: Any,
    secret_key: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sim = start_sim("bluesky", list(world.records()))
    monkeypatch.setattr(settings, "bluesky_stream_url", sim.stream_url)
    account_id = add_account(db, "bluesky", sim)
    other_db = create_engine(fresh_database_url, poolclass=NullPool)  # another worker's
    with listen.kept_open(db, refresh=0.1) as first:
        wait(lambda: account_id in first.running, "the first worker's runner")
        with listen.kept_open(other_db, refresh=0.1) as second:
            second.update()  # a look of its own, after the first took the account
            assert second.running == {}

            first.close()  # the first worker stops: its lock goes with its connection
            wait(lambda: account_id in second.running, "the second worker to take over")
            runner, _, thread = second.running[account_id]
            wait(runner.connected.is_set, "its connection")
            sim.emit([_interaction("like", _post_of(world), "2026-03-03T08:00:00.000Z")])
            wait(lambda: len(_rows(db)) == 1, "the like, stored by the second worker")

            # Its lock connection ends (the database restarted, or cut it): it stops its
            # runner and locks the account afresh, so one runner listens again.
            with db.connect() as conn:
                conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": _holder(db)})
            wait(lambda: not thread.is_alive(), "the runner without a lock to stop")
            wait(lambda: account_id in second.running, "the account to be locked again")
            assert second.running[account_id][0] is not runner
    other_db.dispose()
