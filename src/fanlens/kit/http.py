"""The one HTTP client for every outgoing request (connectors, webhooks, the sentiment
provider): timeouts, retries, Retry-After, budgets and a log line per request.

A long sync must slow down rather than be banned, so each platform has a request budget (a
sliding window of cost units) that makes a request *wait* until it fits. Transient failures
(timeouts, connection errors, 5xx, 429) are retried with exponential backoff; any other
response is returned for the connector to interpret, because only it knows the error body.
Tests reach the platform simulators over real sockets; the transport is replaceable in one
place (`HttpOptions.transport`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from fanlens.config import settings
from fanlens.kit.logging import kv

log = logging.getLogger(__name__)

# Units per window in seconds. YouTube counts quota units per day (each call's cost);
# Bluesky and Mastodon count requests per five minutes.
PLATFORM_BUDGETS: dict[str, tuple[int, float]] = {
    "youtube": (10_000, 86_400.0),
    "bluesky": (3_000, 300.0),
    "mastodon": (300, 300.0),
    # Instagram's real limit moves with the account's reach (its usage headers say how close
    # we are); TikTok documents 600 requests per minute per endpoint.
    "instagram": (4_800, 3_600.0),
    "tiktok": (600, 60.0),
}
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 600.0
# Any failure to get an answer (refused, reset, timed out) or, after raise_for_status, an
# error status: callers catch this rather than the library's own names.
HttpError = httpx.HTTPError
Transport = httpx.BaseTransport  # what HttpOptions.transport replaces, in tests


class Budget:
    """A sliding-window budget of cost units; `acquire` sleeps until the cost fits."""

    def __init__(
        self,
        *,
        limit: int,
        window: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limit, self.window = limit, window
        self._clock, self._sleep = clock, sleep
        self._spent: deque[tuple[float, int]] = deque()
        self._lock = threading.Lock()

    def used(self) -> int:
        self._forget(self._clock())
        return sum(cost for _, cost in self._spent)

    def acquire(self, cost: int = 1) -> float:
        """Take `cost` units, first sleeping as long as the window needs. Returns the wait."""
        waited = 0.0
        with self._lock:
            while True:
                now = self._clock()
                self._forget(now)
                if self._fits(cost):
                    self._spent.append((now, cost))
                    return waited
                pause = max(self._spent[0][0] + self.window - now, 0.001)
                log.info("request budget full; waiting %s", kv(seconds=round(pause, 3)))
                self._sleep(pause)
                waited += pause

    def _fits(self, cost: int) -> bool:
        # A cost above the whole limit could never fit: let it through an empty window.
        return not self._spent or sum(c for _, c in self._spent) + cost <= self.limit

    def _forget(self, now: float) -> None:
        while self._spent and self._spent[0][0] <= now - self.window:
            self._spent.popleft()


_budgets: dict[str, Budget] = {}
_budgets_lock = threading.Lock()


def budget_for(platform: str, key: str = "") -> Budget:
    """The process-wide budget of a platform (and credential, where quotas are per key)."""
    with _budgets_lock:
        name = f"{platform}:{key}"
        if name not in _budgets:
            limit, window = PLATFORM_BUDGETS.get(platform, (600, 60.0))
            _budgets[name] = Budget(limit=limit, window=window)
        return _budgets[name]


@dataclass
class HttpOptions:
    """How requests are made; tests shorten the waits, never the code paths."""

    timeout: float = field(default_factory=lambda: settings.http_timeout)
    max_retries: int = 4
    backoff: float = 0.5
    max_backoff: float = 30.0
    transport: Transport | None = None
    sleep: Callable[[float], None] = time.sleep
    # Reads follow redirects; a write (a webhook POST) is sent only where it was addressed.
    follow_redirects: bool = True


class RetriesExhausted(Exception):
    """A transient failure that outlasted every retry (the connector reports it as transient)."""

    def __init__(self, message: str, *, response: httpx.Response | None = None) -> None:
        super().__init__(message)
        self.response = response


class QuotaLimitReached(Exception):
    """A request would spend past the client's `quota_limit`: it was not sent."""


class HttpClient:
    """One connection pool. `budget` paces every request; without one (webhooks, whose
    receivers set no published limit) requests are not paced. `base_url` may be empty when
    each call names a full URL. `quota_limit`, when set, is the most cost units this client
    may spend: a request that would go past it raises QuotaLimitReached instead of waiting,
    because a daily quota frees up only the next day."""

    def __init__(
        self,
        *,
        base_url: str = "",
        budget: Budget | None = None,
        options: HttpOptions | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.options = options or HttpOptions()
        self.budget = budget
        self.api_calls = 0
        self.quota_used = 0
        self.quota_limit: int | None = None
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            timeout=self.options.timeout,
            transport=self.options.transport,
            headers={"User-Agent": "fanlens", **(headers or {})},
            follow_redirects=self.options.follow_redirects,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(
        self, url: str, *, params: Any = None, cost: int = 1, headers: Any = None
    ) -> httpx.Response:
        """GET with retries; returns the first non-transient response (2xx or a 4xx to parse)."""
        return self.request("GET", url, params=params, cost=cost, headers=headers)

    def post(
        self,
        url: str,
        *,
        params: Any = None,
        json: Any = None,
        data: Any = None,
        cost: int = 1,
        headers: Any = None,
    ) -> httpx.Response:
        """POST with the same retries (the reads some APIs serve by POST, e.g. TikTok's)."""
        return self.request(
            "POST", url, params=params, json=json, data=data, cost=cost, headers=headers
        )

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Any = None,
        json: Any = None,
        data: Any = None,
        cost: int = 1,
        headers: Any = None,
        budget: Budget | None = None,
    ) -> httpx.Response:
        """Send with retries; `budget` replaces the client's where limits are per endpoint."""
        attempt = 0
        while True:
            self._spend(cost, budget or self.budget)
            try:
                response = self._send(
                    method, url, params=params, json=json, data=data, headers=headers
                )
            except httpx.TransportError as exc:  # timeouts, refused and reset connections
                attempt = self._retry_or_raise(attempt, f"{type(exc).__name__} on {url}", None)
                continue
            if response.status_code not in RETRY_STATUSES:
                return response
            wait = retry_after(response) if response.status_code == 429 else None
            attempt = self._retry_or_raise(
                attempt, f"HTTP {response.status_code} on {url}", response, wait
            )

    def write_once(
        self,
        url: str,
        *,
        json: Any = None,
        content: bytes | None = None,
        params: Any = None,
        headers: Mapping[str, str] | None = None,
        cost: int = 1,
    ) -> httpx.Response:
        """One POST, never retried here: a write may have happened even when the answer was
        lost, so the caller decides (with an idempotency key, or not at all)."""
        self._spend(cost, self.budget)
        return self._send("POST", url, json=json, content=content, params=params, headers=headers)

    def _spend(self, cost: int, budget: Budget | None) -> None:
        if self.quota_limit is not None and self.quota_used + cost > self.quota_limit:
            raise QuotaLimitReached(
                f"{self.quota_used} of the {self.quota_limit} units allowed are spent; "
                f"the next request costs {cost}"
            )
        if budget is not None:
            budget.acquire(cost)
        self.api_calls += 1
        self.quota_used += cost

    def _send(self, method: str, url: str, **request: Any) -> httpx.Response:
        """One attempt, logged by host only: a webhook's path or query may hold its secret."""
        started = time.monotonic()
        host = httpx.URL(url).host or self._client.base_url.host
        try:
            response = self._client.request(method, url, **request)
        except httpx.TransportError as exc:
            log.info("http failed %s", kv(method=method, host=host, error=type(exc).__name__))
            raise
        if log.isEnabledFor(logging.DEBUG):
            ms = round((time.monotonic() - started) * 1000)
            log.debug("http %s", kv(method=method, host=host, status=response.status_code, ms=ms))
        return response

    def _retry_or_raise(
        self,
        attempt: int,
        what: str,
        response: httpx.Response | None,
        wait: float | None = None,
    ) -> int:
        if attempt >= self.options.max_retries:
            raise RetriesExhausted(f"{what} (gave up after {attempt + 1} tries)", response=response)
        pause = wait if wait is not None else self._backoff(attempt)
        log.warning("retrying %s", kv(what=repr(what), attempt=attempt + 1, wait=round(pause, 3)))
        self.options.sleep(pause)
        return attempt + 1

    def _backoff(self, attempt: int) -> float:
        return float(min(self.options.backoff * (2**attempt), self.options.max_backoff))


def retry_after(response: httpx.Response) -> float | None:
    """Seconds the server asks us to wait: Retry-After (seconds or HTTP date), else None."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = (when - datetime.now(UTC)).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)
