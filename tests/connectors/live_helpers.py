"""What the live tests share: a runner started on one account against a running simulator,
interchange interactions of one fan, and waiting for what the runner's thread does."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, text

from fanlens.connectors import listen
from fanlens.connectors.live import LiveEvent
from fanlens.connectors.sync import sync_account
from fanlens.demo.generate import World
from fanlens.simulators.run import RunningSimulator
from tests.connectors.conftest import add_account, fast_http

FAN = "live-fan-1"


def wait(condition: Callable[[], bool], what: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def interaction(
    platform: str, kind: str, post: str | None, when: str, **extra: Any
) -> dict[str, Any]:
    """An interchange interaction of FAN (on `post`, when it has one)."""
    record: dict[str, Any] = {
        "type": "interaction",
        "platform": platform,
        "interaction_type": kind,
        "user": {"external_user_id": FAN, "username": "livefan", "display_name": "Live Fan"},
        "occurred_at": when,
        **extra,
    }
    if post is not None:
        record["external_post_id"] = post
    return record


def posts_of(world: World, platform: str) -> list[str]:
    return [
        r["external_post_id"]
        for r in world.records()
        if r["type"] == "post" and r["platform"] == platform
    ]


def gaps(db: Engine) -> list[Any]:
    with db.connect() as conn:
        query = "SELECT source, started_at, ended_at, since_cursor FROM live_gaps ORDER BY 2"
        return list(conn.execute(text(query)))


class Live:
    """The account's live runner on its own thread, connected; `close` stops it."""

    def __init__(self, db: Engine, sim: RunningSimulator, account_id: uuid.UUID) -> None:
        self.db, self.sim, self.account_id = db, sim, account_id
        self.seen: list[LiveEvent] = []
        [self.runner] = listen.runners(db, account_id=account_id, on_event=self.seen.append)
        self.stop = threading.Event()
        self.threads = listen.start([self.runner], self.stop)
        wait(self.runner.connected.is_set, "the stream to connect")

    def cursor(self) -> int | None:
        return self.runner.stored_cursor()

    def poll(self, *, full: bool = False) -> int:
        """A sync of the account (a full one reads every post again): the rows it inserted."""
        result = sync_account(
            account_id=self.account_id, full=full, engine=self.db, http=fast_http()
        )
        assert result.status == "succeeded", result.message
        return result.inserted

    def close(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=10)


def polled_account(db: Engine, platform: str, sim: RunningSimulator, **account: Any) -> uuid.UUID:
    """An account of the simulator's creator, polled once (what live adds to)."""
    account_id = add_account(db, platform, sim, **account)
    assert sync_account(account_id=account_id, engine=db, http=fast_http()).status == "succeeded"
    return account_id
