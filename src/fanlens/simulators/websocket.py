"""What the simulators' streaming endpoints share: sending a subscriber's queue over its socket."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from starlette.websockets import WebSocket

T = TypeVar("T")


async def send_queued(
    websocket: WebSocket, queue: asyncio.Queue[T], send: Callable[[T], Awaitable[None]]
) -> None:
    """Send each queued item with `send` until the client disconnects (its frames are read and
    dropped, so a close is noticed while nothing flows)."""
    receiving = asyncio.ensure_future(websocket.receive())
    try:
        while True:
            getting = asyncio.ensure_future(queue.get())
            done, _ = await asyncio.wait({receiving, getting}, return_when=asyncio.FIRST_COMPLETED)
            if receiving in done:
                getting.cancel()
                if receiving.result().get("type") == "websocket.disconnect":
                    return
                receiving = asyncio.ensure_future(websocket.receive())
            if getting in done:
                await send(getting.result())
    finally:
        receiving.cancel()
