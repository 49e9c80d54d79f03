"""What every platform simulator shares: the fault switches, the control endpoints, paging.

A platform subclasses `Simulator`, lists its routes and says how its errors look; `guard` runs
each API request through the switches (gone endpoint, 429, 5xx, delay, budget, auth) in the order
a real edge would, and adds the platform's rate-limit headers.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import threading
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from fanlens.simulators.world import PlatformWorld

T = TypeVar("T")
Handler = Callable[[Request], Response]


class Reject(Exception):
    """Raised by a handler to answer with the platform's documented error response."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


@dataclass
class Switch:
    """A fault that fires for the next `count` matching requests (-1: until cleared)."""

    count: int = 1
    match: str | None = None  # only requests whose path contains this
    retry_after: int = 1
    status: int = 500
    html: bool = False  # an HTML body, as a proxy in front of the API would send
    seconds: float = 0.0

    def applies(self, path: str) -> bool:
        return self.count != 0 and (not self.match or self.match in path)

    def spend(self) -> None:
        if self.count > 0:
            self.count -= 1


COUNTED = ("too_many_requests", "server_errors", "delay", "malformed")


@dataclass
class Faults:
    too_many_requests: Switch | None = None
    server_errors: Switch | None = None
    delay: Switch | None = None
    malformed: Switch | None = None
    token: str | None = None  # "expired" | "revoked" | "invalid"
    gone: list[str] = field(default_factory=list)  # path fragments that now answer 404
    deleted_account: bool = False

    def update(self, body: dict[str, Any]) -> None:
        for name in COUNTED:
            if name in body:
                setattr(self, name, _switch(body[name]))
        if "token" in body:
            self.token = body["token"]
        if "gone" in body:
            self.gone = list(body["gone"] or [])
        if "deleted_account" in body:
            self.deleted_account = bool(body["deleted_account"])

    def take(self, name: str, path: str) -> Switch | None:
        switch: Switch | None = getattr(self, name)
        if switch is None or not switch.applies(path):
            return None
        switch.spend()
        return switch


def _switch(value: Any) -> Switch | None:
    if value is None or value is False:
        return None
    if isinstance(value, bool | int):
        return Switch(count=-1 if value is True else int(value))
    return Switch(**value)


@dataclass
class Window:
    """A fixed-window request budget (Bluesky's and Mastodon's limits)."""

    limit: int
    seconds: int
    started: float = 0.0
    used: int = 0

    def consume(self, now: float) -> bool:
        if now >= self.started + self.seconds:
            self.started, self.used = now - (now % self.seconds), 0
        self.used += 1
        return self.used <= self.limit

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    @property
    def reset_at(self) -> float:
        return self.started + self.seconds


class Simulator:
    """One platform's API over a `PlatformWorld`; subclasses add routes and error shapes."""

    platform = ""
    api_prefix = ""  # where the platform's API lives under the server root

    def __init__(self, records: Iterable[dict[str, Any]] = (), **options: Any) -> None:
        self.world = PlatformWorld(self.platform)
        self.world.add(records)
        self.faults = Faults()
        self.requests: Counter[str] = Counter()
        self.options = options
        self.lock = threading.Lock()
        # What write calls (replies, mentions) published, in order: tests count them here.
        self.writes: list[dict[str, Any]] = []

    # -- what a platform provides --------------------------------------------------------------
    def routes(self) -> list[Route]:
        raise NotImplementedError

    def error_too_many(self, retry_after: int) -> Response:
        raise NotImplementedError

    def error_server(self, status: int) -> Response:
        raise NotImplementedError

    def error_not_found_route(self) -> Response:
        raise NotImplementedError

    def check_budget(self, request: Request, name: str) -> Response | None:
        return None

    def check_auth(self, request: Request, name: str) -> Response | None:
        return None

    def rate_headers(self, request: Request) -> dict[str, str]:
        return {}

    def corrupt(self, item: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def state(self) -> dict[str, Any]:
        return {}

    # -- the request pipeline ------------------------------------------------------------------
    def guard(self, name: str, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            with self.lock:
                self.requests[name] += 1
            path = request.url.path
            delay = self.faults.take("delay", path)
            if delay is not None:
                await asyncio.sleep(delay.seconds)
            response = self._faulted(request, name, path)
            if response is None:
                try:
                    with self.world.lock:
                        response = handler(request)
                except Reject as rejected:
                    response = rejected.response
            response.headers.update(self.rate_headers(request))
            return response

        return endpoint

    def _faulted(self, request: Request, name: str, path: str) -> Response | None:
        if any(fragment in path for fragment in self.faults.gone):
            return self.error_not_found_route()
        if (switch := self.faults.take("too_many_requests", path)) is not None:
            response = self.error_too_many(switch.retry_after)
            response.headers["Retry-After"] = str(switch.retry_after)
            return response
        if (switch := self.faults.take("server_errors", path)) is not None:
            if switch.html:
                return html_error(switch.status)
            return self.error_server(switch.status)
        return self.check_budget(request, name) or self.check_auth(request, name)

    def malform(self, request: Request, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """With the malformed switch on, the first item of this page is broken."""
        if items and self.faults.take("malformed", request.url.path) is not None:
            items = [self.corrupt(copy.deepcopy(items[0])), *items[1:]]
        return items

    # -- the app -------------------------------------------------------------------------------
    def app(self) -> Starlette:
        control = [
            Route("/_sim/state", self._get_state, methods=["GET"]),
            Route("/_sim/world", self._post_world, methods=["POST"]),
            Route("/_sim/faults", self._faults_endpoint, methods=["GET", "POST", "DELETE"]),
        ]

        async def not_found(request: Request, exc: Exception) -> Response:
            return self.error_not_found_route()

        return Starlette(
            routes=[*control, *self.routes(), *self.stream_routes()],
            exception_handlers={404: not_found, HTTPException: not_found},
        )

    def stream_routes(self) -> list[BaseRoute]:
        """WebSocket endpoints and their controls, for platforms that push events."""
        return []

    def api_route(self, path: str, name: str, handler: Handler) -> Route:
        return Route(self.api_prefix + path, self.guard(name, handler), methods=["GET"])

    def write_route(
        self, path: str, name: str, handler: Callable[[Request, dict[str, Any]], Response]
    ) -> Route:
        """A POST through the same switches; the handler gets the parsed JSON or form body."""
        guarded = self.guard(name, lambda request: handler(request, request.state.body))

        async def endpoint(request: Request) -> Response:
            if "json" in request.headers.get("content-type", ""):
                try:
                    body = await request.json()
                except ValueError:
                    body = None
            else:
                body = dict(await request.form())
            request.state.body = body if isinstance(body, dict) else {}
            return await guarded(request)

        return Route(self.api_prefix + path, endpoint, methods=["POST"])

    def record_write(self, kind: str, **fields: Any) -> dict[str, Any]:
        with self.lock:
            entry = {"kind": kind, "n": len(self.writes) + 1, **fields}
            self.writes.append(entry)
        return entry

    async def deliver_webhook(
        self, url: str, raw: bytes, headers: dict[str, str], payload: Any
    ) -> JSONResponse:
        """POST one signed webhook delivery to fanlens over HTTP, as the platform does, and
        answer the control request with fanlens's status and answer and what was sent."""
        answered = await self.send_webhook(url, raw, headers)
        return JSONResponse({**answered, "payload": payload})

    async def send_webhook(self, url: str, raw: bytes, headers: dict[str, str]) -> dict[str, Any]:
        """POST one delivery; fanlens's status and answer (JSON when it is JSON)."""
        async with httpx.AsyncClient(timeout=30) as client:
            answer = await client.post(url, content=raw, headers=headers)
        self.record_write("webhook", status=answer.status_code)
        try:
            received: Any = answer.json()
        except ValueError:
            received = answer.text
        return {"status": answer.status_code, "response": received}

    async def _get_state(self, request: Request) -> Response:
        world = self.world
        return JSONResponse(
            {
                "platform": self.platform,
                "requests": dict(self.requests),
                "faults": asdict(self.faults),
                "world": {
                    "posts": len(world.posts),
                    "users": len(world.users),
                    "interactions": len(world.interactions),
                    "version": world.version,
                },
                "writes": list(self.writes),
                **self.state(),
            }
        )

    async def _post_world(self, request: Request) -> Response:
        body = await request.json()
        records = body.get("records", []) if isinstance(body, dict) else body
        return JSONResponse({"added": self.world.add(records)})

    async def _faults_endpoint(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.faults = Faults()
        elif request.method == "POST":
            body = await request.json()
            self.faults.update(body)
            self.on_faults_posted(body)
        return JSONResponse(asdict(self.faults))

    def on_faults_posted(self, body: dict[str, Any]) -> None:
        """Platform-specific settings that ride on /_sim/faults (quota, budgets)."""


def html_error(status: int) -> Response:
    body = f"<html><head><title>{status}</title></head><body><h1>Error {status}</h1></body></html>"
    return Response(body, status_code=status, media_type="text/html")


# -- paging ------------------------------------------------------------------------------------
Key = tuple[str, str]


def sort_key(moment: datetime, ident: str) -> Key:
    return (moment.astimezone(UTC).isoformat(), ident)


def newest_first_page(
    items: Sequence[T], key: Callable[[T], Key], after: Key | None, limit: int
) -> tuple[list[T], Key | None]:
    """A page of `items` (sorted oldest first) shown newest first, after the key `after`.

    Keyset paging: an item added while a client pages never shifts the pages, so every item
    present when paging started is returned exactly once.
    """
    end = len(items) if after is None else bisect_left(items, after, key=key)
    start = max(0, end - limit)
    page = list(items[start:end])[::-1]
    return page, (key(page[-1]) if page and start > 0 else None)


def oldest_first_page(
    items: Sequence[T], key: Callable[[T], Key], after: Key | None, limit: int
) -> tuple[list[T], Key | None]:
    start = 0 if after is None else bisect_right(items, after, key=key)
    page = list(items[start : start + limit])
    return page, (key(page[-1]) if page and start + limit < len(items) else None)


def encode_token(key: Key, prefix: str = "") -> str:
    raw = json.dumps([prefix, *key], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str, prefix: str = "") -> Key | None:
    """The key in a page token, or None when the token is not one of ours (for this list)."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        tag, moment, ident = json.loads(raw)
    except (ValueError, TypeError):
        return None
    if tag != prefix or not isinstance(moment, str) or not isinstance(ident, str):
        return None
    return (moment, ident)


def int_param(request: Request, name: str, default: int, low: int, high: int) -> int | None:
    """The integer query parameter, or None when it is not an integer in [low, high]."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if low <= value <= high else None


def iso_z(moment: datetime, millis: bool = True) -> str:
    text = moment.astimezone(UTC).isoformat(timespec="milliseconds" if millis else "seconds")
    return text.replace("+00:00", "Z")
