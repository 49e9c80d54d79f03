"""The live view: newly stored interactions, pushed to whoever watches their workspace.

The log insert of the ingest pipeline sends a NOTIFY on `fanlens_live` that PostgreSQL
delivers at commit (`staging_repository.INSERT_INTERACTIONS`): every way in (file import, POST
ingest, connector sync, live sources) passes there. Each server process keeps one `Hub`: one
listening connection of its own (not the pool's), whatever the number of watchers, because a
connection per browser tab would exhaust PostgreSQL's `max_connections` long before the event
loop minds a few thousand idle streams. A notification naming ids is read once (a short pool
session) and fanned out in memory to the workspace's subscribers; nothing is read for a
workspace nobody watches. Each workspace keeps its last `REPLAY_MAX` events, so a browser that
reconnects with `Last-Event-ID` gets what it missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
import weakref
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from sqlalchemy.orm import Session, sessionmaker

from fanlens.interactions import repository
from fanlens.interactions.schemas import ActivityItem
from fanlens.interactions.staging_repository import LIVE_CHANNEL

log = logging.getLogger(__name__)

REPLAY_MAX = 200  # events kept per workspace for Last-Event-ID
QUEUE_MAX = 1000  # events waiting for one slow watcher before its stream is ended
HEARTBEAT_SECONDS = 15.0  # a comment line: keeps proxies from closing an idle stream
RECONNECT_SECONDS = 1.0
# A workspace stays read for this long after its last watcher left, so a browser that lost its
# connection finds what it missed on reconnecting.
KEEP_WATCHING_SECONDS = 600.0


@dataclass(frozen=True)
class Event:
    """One server-sent event: `interaction` (one row), `many` (a bulk batch, `count` rows)
    or `gap` (what a reconnecting watcher missed is no longer kept)."""

    kind: str
    data: dict[str, Any]
    id: str | None = None

    def encode(self) -> str:
        head = f"id: {self.id}\n" if self.id else ""
        return f"{head}event: {self.kind}\ndata: {json.dumps(self.data, separators=(',', ':'))}\n\n"


def interaction_event(item: ActivityItem) -> Event:
    return Event("interaction", item.model_dump(mode="json"), id=str(item.id))


@dataclass(eq=False)
class Subscription:
    workspace_id: uuid.UUID
    events: deque[Event] = field(default_factory=deque)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    ended: bool = False

    def put(self, event: Event) -> None:
        if len(self.events) >= QUEUE_MAX:  # too slow: it reconnects and replays
            self.end()
            return
        self.events.append(event)
        self.wake.set()

    def end(self) -> None:
        self.ended = True
        self.wake.set()

    async def next(self, timeout: float) -> Event | None:
        """The next event; None after `timeout` seconds without one or once ended."""
        if not self.events and not self.ended:
            self.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout)
        return self.events.popleft() if self.events and not self.ended else None


Fetch = Callable[[uuid.UUID, list[uuid.UUID]], list[ActivityItem]]


class Hub:
    """One process's listener and its watchers; lives on the event loop that serves them."""

    def __init__(self, conninfo: str, fetch: Fetch) -> None:
        self._conninfo = conninfo
        self._fetch = fetch
        self._subs: dict[uuid.UUID, set[Subscription]] = {}
        self._left_at: dict[uuid.UUID, float] = {}  # when the last watcher left
        self._recent: dict[uuid.UUID, deque[Event]] = {}
        self._inbox: asyncio.Queue[str] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._listening = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.closed = False
        _HUBS.add(self)

    async def subscribe(self, workspace_id: uuid.UUID, last_event_id: str | None) -> Subscription:
        """A watcher of the workspace, first given what it missed after `last_event_id`."""
        self._start()
        with contextlib.suppress(TimeoutError):  # no database yet: the stream waits on
            await asyncio.wait_for(self._listening.wait(), 5)
        sub = Subscription(workspace_id)
        if self.closed:
            sub.end()
            return sub
        self._subs.setdefault(workspace_id, set()).add(sub)
        recent = self._recent.setdefault(workspace_id, deque(maxlen=REPLAY_MAX))
        if last_event_id:
            for event in _after(recent, last_event_id):
                sub.put(event)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        subs = self._subs.get(sub.workspace_id, set())
        subs.discard(sub)
        if not subs:
            self._left_at[sub.workspace_id] = asyncio.get_running_loop().time()

    def _watched(self, workspace_id: uuid.UUID) -> bool:
        if self._subs.get(workspace_id):
            return True
        left = self._left_at.get(workspace_id)
        return left is not None and asyncio.get_running_loop().time() - left < KEEP_WATCHING_SECONDS

    def close(self) -> None:
        """End every stream (server shutdown); safe from any thread or a signal handler."""
        self.closed = True
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._end_all)

    def _end_all(self) -> None:
        for subs in self._subs.values():
            for sub in subs:
                sub.end()
        for task in self._tasks:
            task.cancel()

    def _start(self) -> None:
        if not self._tasks:
            self._loop = asyncio.get_running_loop()
            self._tasks = [
                asyncio.create_task(self._listen(), name="live-listen"),
                asyncio.create_task(self._deliver(), name="live-deliver"),
            ]

    async def _listen(self) -> None:
        while not self.closed:
            try:
                conn = await repository.listen(self._conninfo, LIVE_CHANNEL)
                async with conn:
                    self._listening.set()
                    async for note in conn.notifies():
                        self._inbox.put_nowait(note.payload)
            except (psycopg.Error, OSError) as exc:
                log.warning("live: listening connection lost (%s); reconnecting", exc)
            self._listening.clear()
            await asyncio.sleep(RECONNECT_SECONDS)

    async def _deliver(self) -> None:
        while True:
            payload = await self._inbox.get()
            try:
                await self._fan_out(json.loads(payload))
            except Exception:  # one bad message must not stop the live view
                log.exception("live: could not deliver %r", payload[:200])

    async def _fan_out(self, message: dict[str, Any]) -> None:
        workspace_id = uuid.UUID(message["w"])
        if not self._watched(workspace_id):
            return  # nobody watches: nothing read
        ids = message.get("ids")
        if ids is None:
            events = [Event("many", {"count": int(message["n"])})]
        else:
            items = await asyncio.to_thread(self._fetch, workspace_id, [uuid.UUID(i) for i in ids])
            events = [interaction_event(item) for item in items]
        recent = self._recent.setdefault(workspace_id, deque(maxlen=REPLAY_MAX))
        for event in events:
            if event.id:
                recent.append(event)
            for sub in list(self._subs.get(workspace_id, ())):
                sub.put(event)


def _after(recent: deque[Event], last_event_id: str) -> list[Event]:
    kept = list(recent)
    for i, event in enumerate(kept):
        if event.id == last_event_id:
            return kept[i + 1 :]
    return [Event("gap", {"reason": "the events after Last-Event-ID are no longer kept"})]


async def stream(
    sub: Subscription, hub: Hub, *, max_seconds: float | None, heartbeat: float = HEARTBEAT_SECONDS
) -> AsyncIterator[str]:
    """The text of a server-sent-events response: a `retry` hint, events, heartbeat comments;
    it ends after `max_seconds`, when the server shuts down or the watcher is too slow. A
    client that leaves is noticed at the next write (a heartbeat at the latest)."""
    loop = asyncio.get_running_loop()
    deadline = None if max_seconds is None else loop.time() + max_seconds
    try:
        yield "retry: 3000\n\n"
        while not sub.ended:
            remaining = heartbeat if deadline is None else min(heartbeat, deadline - loop.time())
            if remaining <= 0:
                return
            event = await sub.next(remaining)
            yield event.encode() if event is not None else ": heartbeat\n\n"
    finally:
        hub.unsubscribe(sub)


_HUBS: weakref.WeakSet[Hub] = weakref.WeakSet()


def close_all() -> None:
    """End every live stream of this process: called when the server starts shutting down, so
    open streams do not hold the graceful shutdown up."""
    for hub in list(_HUBS):
        hub.close()


def make_hub(factory: sessionmaker[Session]) -> Hub:
    """The hub of an app whose sessions come from `factory`: it listens on the same database."""
    engine = factory.kw["bind"]
    conninfo = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)

    def fetch(workspace_id: uuid.UUID, ids: list[uuid.UUID]) -> list[ActivityItem]:
        with factory() as session:  # read only, returned to the pool at once
            rows = repository.live_rows(session, workspace_id=workspace_id, ids=ids)
        return [ActivityItem.model_validate(row) for row in rows]

    return Hub(conninfo, fetch)
