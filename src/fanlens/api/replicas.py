"""Which database a request reads: the read replica (FANLENS_DATABASE_REPLICA_URL) or the primary.

GET and HEAD requests read from the replica; every other method uses the primary. A client
that wrote reads its own writes: for FANLENS_REPLICA_STICKY_SECONDS after a write (a POST,
PUT, PATCH or DELETE answered below 400) its reads go to the primary. Two marks say so, and
either is enough:
- a cookie, `fanlens_wrote` (the time of the write), set on the write's answer: browsers and
  HTTP clients that keep cookies carry it to every process behind a load balancer;
- for API clients that keep no cookies, this process remembers when each bearer token (by its
  hash) last wrote: reads on the same process see the write.
The marks only choose the database: a forged cookie sends its own client to the primary,
which any client may ask for by writing. See docs/scale-out.md.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections.abc import Callable
from http.cookies import SimpleCookie

from fastapi import Request
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fanlens.config import settings
from fanlens.db.engine import Replica

COOKIE = "fanlens_wrote"
READS = frozenset({"GET", "HEAD"})
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_REMEMBERED = 10_000  # tokens kept before the stale ones are forgotten


class RecentWriters:
    """When each bearer token last wrote through this process (monotonic seconds)."""

    def __init__(self) -> None:
        self._at: dict[str, float] = {}
        self._lock = threading.Lock()

    def wrote(self, key: str) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._at) >= _REMEMBERED:
                horizon = now - settings.replica_sticky_seconds
                self._at = {k: at for k, at in self._at.items() if at > horizon}
            self._at[key] = now

    def recently(self, key: str) -> bool:
        at = self._at.get(key)
        return at is not None and time.monotonic() - at < settings.replica_sticky_seconds


def _token_key(authorization: str | None) -> str | None:
    """The bearer token's hash: the secret itself is never kept."""
    if not authorization or not authorization.lower().startswith("bearer "):
        return None
    return hashlib.sha256(authorization[7:].strip().encode()).hexdigest()


def wrote_recently(request: Request, writers: RecentWriters) -> bool:
    raw = request.cookies.get(COOKIE)
    if raw:
        try:
            if time.time() - float(raw) < settings.replica_sticky_seconds:
                return True
        except ValueError:
            pass
    key = _token_key(request.headers.get("authorization"))
    return key is not None and writers.recently(key)


def read_factory(
    request: Request,
    primary: Callable[[], Session],
    replica: Replica | None,
    writers: RecentWriters,
) -> Callable[[], Session]:
    """What opens the request's session: the replica's for a read by a client that has not
    just written, while the replica answers and keeps up; else the primary's."""
    if replica is None or request.method not in READS or wrote_recently(request, writers):
        return primary
    return lambda: replica.read_session() or primary()


class WriteMarkMiddleware:
    """Marks a client that just wrote: the cookie on the answer, its token in `writers`. The
    request's commit comes before its answer starts, so the mark follows the write."""

    def __init__(self, app: ASGIApp, writers: RecentWriters) -> None:
        self.app, self.writers = app, writers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in WRITES:
            await self.app(scope, receive, send)
            return

        async def send_with_mark(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                message["headers"] = [*message.get("headers", []), _mark_header()]
                authorization = dict(scope.get("headers", [])).get(b"authorization")
                key = _token_key(authorization.decode("latin-1") if authorization else None)
                if key is not None:
                    self.writers.wrote(key)
            await send(message)

        await self.app(scope, receive, send_with_mark)


def _mark_header() -> tuple[bytes, bytes]:
    cookie: SimpleCookie = SimpleCookie()
    cookie[COOKIE] = f"{time.time():.3f}"
    morsel = cookie[COOKIE]
    morsel["max-age"] = max(1, math.ceil(settings.replica_sticky_seconds))
    morsel["path"] = "/"
    morsel["httponly"] = True
    morsel["samesite"] = "lax"
    if settings.secure_cookies:
        morsel["secure"] = True
    return b"set-cookie", morsel.OutputString().encode("latin-1")
