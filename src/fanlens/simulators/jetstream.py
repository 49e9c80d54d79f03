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
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

Commit = Callable[[dict[str, Any]], dict[str, Any]]


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
    def __init__(self, commit_for: Commit, delete_for: Commit) -> None:
        self.commit_for = commit_for  # an interchange interaction -> the event of its commit
        self.delete_for = delete_for  # ... -> the event of its record's delete
        self.events: list[dict[str, Any]] = []  # every event sent, oldest first (the replay)
        self.subscribers: list[Subscriber] = []
        self.last_time_us = 0
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
            await self._live(websocket, subscriber)
        except (WebSocketDisconnect, RuntimeError, OSError):
            pass  # the client left, or the server is shutting down
        finally:
            self.subscribers.remove(subscriber)

    async def _live(self, websocket: WebSocket, subscriber: Subscriber) -> None:
        """Send queued events until the client disconnects (its frames are read and dropped,
        so a close is noticed while no event flows)."""
        receiving = asyncio.ensure_future(websocket.receive())
        try:
            while True:
                getting = asyncio.ensure_future(subscriber.queue.get())
                done, _ = await asyncio.wait(
                    {receiving, getting}, return_when=asyncio.FIRST_COMPLETED
                )
                if receiving in done:
                    getting.cancel()
                    if receiving.result().get("type") == "websocket.disconnect":
                        return
                    receiving = asyncio.ensure_future(websocket.receive())
                if getting in done:
                    await websocket.send_text(json.dumps(getting.result()))
        finally:
            receiving.cancel()

    def publish(self, event: dict[str, Any]) -> dict[str, Any]:
        # Jetstream's time_us is when it saw the event: strictly increasing here.
        self.last_time_us = max(time.time_ns() // 1000, self.last_time_us + 1)
        event = {**event, "time_us": self.last_time_us}
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
        try:
            events = [self.commit_for(r) for r in records]
            events += [self.delete_for(r) for r in deletes]
        except (KeyError, ValueError) as exc:
            return JSONResponse({"error": f"cannot stream that record: {exc}"}, status_code=400)
        sent = [self.publish(e) for e in [*events, *raw]]
        return JSONResponse({"events": sent})
