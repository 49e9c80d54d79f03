"""Jetstream's ``/subscribe`` WebSocket over the Bluesky simulator's world.

Events are shaped as Jetstream sends them (github.com/bluesky-social/jetstream README): JSON
text frames ``{"did", "time_us", "kind": "commit", "commit": {"rev", "operation",
"collection", "rkey", "record", "cid"}}``. The query parameters ``wantedCollections`` and
``wantedDids`` (repeated) filter, and ``cursor`` (unix microseconds) replays the kept events
from that time on before going live, as Jetstream replays from its own store.

Control: ``POST /_sim/jetstream/emit`` with ``{"records": [interchange interactions]}`` adds
them to the world (so the AppView serves them to a poll too) and streams each as the record a
fan's repo would commit; ``{"deletes": [interchange interactions]}`` takes them out of the world
(the AppView and the fan's repo stop showing them) and streams each record's delete;
``{"events": [...]}`` streams raw events as given (their ``time_us`` assigned). It answers the
events sent, with their ``time_us``. Each event is also sent to the streams in `also` (the
firehose, fanlens.simulators.firehose).

With ``"rate": N`` the records are streamed at N a second, one at a time (requests queue
behind each other on one schedule), each with its ``occurred_at`` (the record's ``createdAt``)
set to the moment it is sent, to the millisecond and never twice the same: a load generator
that measures latency per event. Those records are streamed only, not added to the world (the
AppView's indexes would be rebuilt for every event). It answers the events sent, with their
``time_us``, once the last one is sent.

With a ``log`` file, every event sent is appended to it before it goes out, and read back on
start: a simulator killed and started again replays from a cursor as Jetstream does.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from fanlens.simulators.websocket import send_queued

Commit = Callable[[dict[str, Any]], dict[str, Any]]
# An interchange interaction -> the event of its commit, without adding it to the world.
Stream = Callable[[dict[str, Any]], dict[str, Any]]
MAX_RATE = 10_000.0  # events a second


@dataclass
class Subscriber:
    collections: set[str]
    dids: set[str]
    queue: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)

    def wants(self, event: dict[str, Any]) -> bool:
        if self.dids and event.get("did") not in self.dids:
            return False
        if not self.collections or event.get("kind") != "commit":
            return True  # identity and account events are not filtered by collection
        return (event.get("commit") or {}).get("collection") in self.collections


class Jetstream:
    def __init__(
        self, commit_for: Commit, delete_for: Commit, stream_for: Stream, log: Path | None = None
    ) -> None:
        self.commit_for = commit_for  # an interchange interaction -> the event of its commit
        self.delete_for = delete_for  # ... -> the event of its record's delete
        self.stream_for = stream_for  # ... -> the event of its commit, the world left as it is
        self.events: list[dict[str, Any]] = []  # every event sent, oldest first (the replay)
        self.subscribers: list[Subscriber] = []
        self.last_time_us = 0
        self.next_slot = 0.0  # the event loop's time of the next paced event
        self.last_stamp = 0  # unix ms of the last paced event
        self.log: IO[str] | None = None
        if log is not None:
            self.events = read_log(log)
            self.last_time_us = max((e["time_us"] for e in self.events), default=0)
            self.last_stamp = max((_stamp_of(e) for e in self.events), default=0)
            self.log = log.open("a", encoding="utf-8")
        # Other streams of the same events (the firehose): each gets every event published.
        self.also: list[Callable[[dict[str, Any]], object]] = []

    def routes(self) -> list[BaseRoute]:
        return [
            WebSocketRoute("/subscribe", self.subscribe),
            Route("/_sim/jetstream/emit", self.emit_endpoint, methods=["POST"]),
        ]

    # -- the stream ----------------------------------------------------------------------------
    async def subscribe(self, websocket: WebSocket) -> None:
        params = websocket.query_params
        cursor = params.get("cursor")
        if cursor is not None and not cursor.isdigit():
            await websocket.close(code=1008, reason="cursor must be unix microseconds")
            return
        await websocket.accept()
        subscriber = Subscriber(
            set(params.getlist("wantedCollections")), set(params.getlist("wantedDids"))
        )
        # Replay and registration happen without an await between them: no event is missed
        # or sent twice at the hand-over from replay to live.
        backlog = [e for e in self.events if cursor is not None and e["time_us"] >= int(cursor)]
        self.subscribers.append(subscriber)
        try:
            for event in backlog:
                if subscriber.wants(event):
                    await websocket.send_text(json.dumps(event))
            await send_queued(
                websocket, subscriber.queue, lambda e: websocket.send_text(json.dumps(e))
            )
        except (WebSocketDisconnect, RuntimeError, OSError):
            pass  # the client left, or the server is shutting down
        finally:
            self.subscribers.remove(subscriber)

    def publish(self, event: dict[str, Any]) -> dict[str, Any]:
        # Jetstream's time_us is when it saw the event: strictly increasing here.
        self.last_time_us = max(time.time_ns() // 1000, self.last_time_us + 1)
        event = {**event, "time_us": self.last_time_us}
        if self.log is not None:  # written through before it is sent: a kill -9 keeps it
            self.log.write(json.dumps(event) + "\n")
            self.log.flush()
        self.events.append(event)
        for subscriber in self.subscribers:
            if subscriber.wants(event):
                subscriber.queue.put_nowait(event)
        for stream in self.also:
            stream(event)
        return event

    # -- control -------------------------------------------------------------------------------
    async def emit_endpoint(self, request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"error": "the body must be JSON"}, status_code=400)
        if not isinstance(body, dict):
            return JSONResponse({"error": "the body must be an object"}, status_code=400)
        records = [r for r in body.get("records") or [] if isinstance(r, dict)]
        deletes = [r for r in body.get("deletes") or [] if isinstance(r, dict)]
        raw = [e for e in body.get("events") or [] if isinstance(e, dict)]
        rate = body.get("rate")
        if rate is not None and (
            not isinstance(rate, int | float) or isinstance(rate, bool) or not 0 < rate <= MAX_RATE
        ):
            return JSONResponse(
                {"error": f"rate must be a number of events a second, above 0 and at most "
                          f"{MAX_RATE:.0f}"},
                status_code=400,
            )  # fmt: skip
        try:
            if rate is not None:
                [self.stream_for(r) for r in records]  # each can be sent
                return JSONResponse({"events": await self._paced(records, float(rate))})
            events = [self.commit_for(r) for r in records]
            events += [self.delete_for(r) for r in deletes]
        except (KeyError, ValueError) as exc:
            return JSONResponse({"error": f"cannot stream that record: {exc}"}, status_code=400)
        sent = [self.publish(e) for e in [*events, *raw]]
        return JSONResponse({"events": sent})

    async def _paced(self, records: list[dict[str, Any]], rate: float) -> list[dict[str, Any]]:
        """Stream the records at `rate` a second on the simulator's one schedule, each stamped
        with the moment it is sent."""
        loop = asyncio.get_running_loop()
        start = max(loop.time(), self.next_slot)
        self.next_slot = start + len(records) / rate  # taken now: a later request queues behind
        sent = []
        for i, record in enumerate(records):
            await asyncio.sleep(max(0.0, start + i / rate - loop.time()))
            stamped = {**record, "occurred_at": self._stamp()}
            sent.append(self.publish(self.stream_for(stamped)))
        return sent

    def _stamp(self) -> str:
        """Now, to the millisecond, and after every event sent so far (so it names one)."""
        self.last_stamp = max(time.time_ns() // 1_000_000, self.last_stamp + 1)
        moment = datetime.fromtimestamp(self.last_stamp / 1000, UTC)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _stamp_of(event: dict[str, Any]) -> int:
    """The unix ms of an event's createdAt (0 without one)."""
    created = ((event.get("commit") or {}).get("record") or {}).get("createdAt")
    try:
        return round(datetime.fromisoformat(str(created).replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        return 0


def read_log(path: Path) -> list[dict[str, Any]]:
    """The events of a log; a line cut short by a kill is left out."""
    if not path.exists():
        return []
    events = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict) and isinstance(event.get("time_us"), int):
            events.append(event)
    return events
