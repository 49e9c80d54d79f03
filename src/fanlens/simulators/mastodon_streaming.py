"""Mastodon's streaming API over the Mastodon simulator's world.

As documented (docs.joinmastodon.org/methods/streaming): `GET /api/v1/streaming/health` answers
`OK`; the WebSocket `/api/v1/streaming?stream=user` (or `user:notification`) takes the user
token in the `Authorization` header (or, the legacy alternative, the `access_token` query
parameter) and sends each event as a text frame
`{"stream": [name], "event", "payload"}`, the payload a JSON entity cast to a string (a status
id for `delete`); `GET /api/v1/streaming/user` and `/user/notification` send the same events as
server-sent events (`event: name`, `data: payload`). An invalid token is refused before the
connection opens. Nothing is replayed: an event sent while a client is away is lost to it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from fanlens.simulators.websocket import send_queued

STREAMS = {"user": None, "user:notification": {"notification"}}  # None: every user event
PATHS = {
    "/api/v1/streaming/user": "user",
    "/api/v1/streaming/user/notification": "user:notification",
}
HEARTBEAT = 15.0  # seconds between SSE heartbeat comments


@dataclass
class Subscriber:
    stream: str
    queue: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)

    def wants(self, event: dict[str, Any]) -> bool:
        names = STREAMS[self.stream]
        return names is None or event["event"] in names


class Streaming:
    def __init__(self, token_ok: Callable[[str | None], bool]) -> None:
        self.token_ok = token_ok
        self.subscribers: list[Subscriber] = []

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/api/v1/streaming/health", self.health, methods=["GET"]),
            WebSocketRoute("/api/v1/streaming", self.websocket),
            *(Route(path, self.server_sent, methods=["GET"]) for path in PATHS),
        ]

    async def health(self, request: Request) -> Response:
        return PlainTextResponse("OK")

    # -- WebSocket -----------------------------------------------------------------------------
    async def websocket(self, websocket: WebSocket) -> None:
        stream = websocket.query_params.get("stream", "")
        if not self.token_ok(_ws_token(websocket)):
            await websocket.close(code=1008, reason="Invalid access token")
            return
        await websocket.accept()
        if stream not in STREAMS:
            await websocket.send_text(json.dumps({"error": "Unknown stream type", "status": 400}))
            await websocket.close()
            return
        subscriber = self._subscribe(stream)
        try:
            await send_queued(websocket, subscriber.queue, lambda e: _send(websocket, stream, e))
        except (WebSocketDisconnect, RuntimeError, OSError):
            pass  # the client left, or the server is shutting down
        finally:
            self.subscribers.remove(subscriber)

    # -- server-sent events --------------------------------------------------------------------
    async def server_sent(self, request: Request) -> Response:
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else None
        if not self.token_ok(token or request.query_params.get("access_token")):
            return Response(
                json.dumps({"error": "Invalid access token"}),
                status_code=401,
                media_type="application/json",
            )
        subscriber = self._subscribe(PATHS[request.url.path])

        async def lines() -> AsyncIterator[str]:
            try:
                yield ":)\n\n"
                while True:
                    try:
                        event = await asyncio.wait_for(subscriber.queue.get(), HEARTBEAT)
                    except TimeoutError:
                        yield ":thump\n\n"
                        continue
                    yield f"event: {event['event']}\ndata: {event.get('payload', '')}\n\n"
            finally:
                self.subscribers.remove(subscriber)

        return StreamingResponse(lines(), media_type="text/event-stream")

    # -- publishing ----------------------------------------------------------------------------
    def _subscribe(self, stream: str) -> Subscriber:
        subscriber = Subscriber(stream)
        self.subscribers.append(subscriber)
        return subscriber

    def publish(self, name: str, payload: str | None) -> dict[str, Any]:
        """Send an event to every subscriber that wants it (from the server's event loop)."""
        event: dict[str, Any] = {"event": name}
        if payload is not None:
            event["payload"] = payload
        for subscriber in self.subscribers:
            if subscriber.wants(event):
                subscriber.queue.put_nowait(event)
        return event


async def _send(websocket: WebSocket, stream: str, event: dict[str, Any]) -> None:
    """An event as Mastodon frames it over a WebSocket: with the stream's name."""
    await websocket.send_text(json.dumps({"stream": [stream], **event}))


def _ws_token(websocket: WebSocket) -> str | None:
    header = websocket.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return websocket.query_params.get("access_token")
