"""The HTTP wrapper against a real local server: retries, Retry-After, timeouts, budgets, and
the single attempt of a write."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse
from starlette.routing import Route

from fanlens.kit.http import Budget, HttpClient, HttpOptions, RetriesExhausted
from tests.connectors.asgi_server import serve

calls: dict[str, int] = {}


async def flaky(request: Request) -> JSONResponse:
    """Fails `fails` times with `status` (and Retry-After when asked), then answers 200."""
    name = request.url.path
    calls[name] = calls.get(name, 0) + 1
    fails = int(request.query_params.get("fails", "0"))
    if calls[name] <= fails:
        status = int(request.query_params.get("status", "500"))
        if status == 0:  # a response slower than the client's timeout
            await asyncio.sleep(1.0)
            return JSONResponse({"late": True})
        headers = (
            {"Retry-After": request.query_params["retry_after"]}
            if "retry_after" in request.query_params
            else {}
        )
        return JSONResponse({"error": "x"}, status_code=status, headers=headers)
    return JSONResponse({"ok": True, "calls": calls[name]})


async def hook(request: Request) -> JSONResponse | RedirectResponse:
    """A webhook receiver: answers `status`, or redirects elsewhere when asked."""
    calls[request.url.path] = calls.get(request.url.path, 0) + 1
    if "redirect" in request.query_params:
        return RedirectResponse("/elsewhere", status_code=307)
    status = int(request.query_params.get("status", "200"))
    return JSONResponse({"body": (await request.body()).decode()}, status_code=status)


app = Starlette(routes=[Route("/{name}", flaky), Route("/hook/{name}", hook, methods=["POST"])])


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve(app) as url:
        yield url


@pytest.fixture
def slept() -> list[float]:
    return []


def client(base_url: str, slept: list[float], **options: object) -> HttpClient:
    opts = HttpOptions(timeout=0.3, max_retries=3, backoff=0.01, sleep=slept.append)
    for name, value in options.items():
        setattr(opts, name, value)
    return HttpClient(base_url=base_url, budget=Budget(limit=1000, window=60), options=opts)


def test_5xx_is_retried_with_exponential_backoff(base_url: str, slept: list[float]) -> None:
    with client(base_url, slept) as http:
        response = http.get("/five", params={"fails": 2, "status": 503})
        assert response.json() == {"ok": True, "calls": 3}
        assert http.api_calls == 3
    assert slept == [0.01, 0.02]


def test_429_waits_as_long_as_retry_after_says(base_url: str, slept: list[float]) -> None:
    with client(base_url, slept) as http:
        response = http.get("/rate", params={"fails": 1, "status": 429, "retry_after": 7})
    assert response.status_code == 200
    assert slept == [7.0]


def test_a_timeout_is_retried(base_url: str, slept: list[float]) -> None:
    with client(base_url, slept) as http:
        response = http.get("/slow", params={"fails": 1, "status": 0})
    assert response.json()["calls"] == 2
    assert len(slept) == 1


def test_persistent_failure_gives_up_as_transient(base_url: str, slept: list[float]) -> None:
    with client(base_url, slept) as http, pytest.raises(RetriesExhausted) as caught:
        http.get("/down", params={"fails": 99, "status": 500})
    assert caught.value.response is not None and caught.value.response.status_code == 500
    assert len(slept) == 3


def test_client_errors_are_returned_for_the_connector_to_read(
    base_url: str, slept: list[float]
) -> None:
    with client(base_url, slept) as http:
        response = http.get("/gone", params={"fails": 5, "status": 404})
    assert response.status_code == 404
    assert slept == [] and http.api_calls == 1


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_budget_waits_for_the_window_instead_of_failing() -> None:
    clock = FakeClock()
    budget = Budget(limit=3, window=300, clock=lambda: clock.now, sleep=clock.sleep)
    for _ in range(3):
        assert budget.acquire() == 0
    clock.now += 100
    assert budget.acquire() == pytest.approx(200)
    assert budget.used() == 1


def test_budget_counts_each_calls_cost() -> None:
    clock = FakeClock()
    budget = Budget(limit=10_000, window=86_400, clock=lambda: clock.now, sleep=clock.sleep)
    budget.acquire(9_999)
    assert budget.acquire(1) == 0
    assert budget.acquire(100) == pytest.approx(86_400)
    assert budget.used() == 100


def test_budget_is_spent_by_the_client(base_url: str, slept: list[float]) -> None:
    with client(base_url, slept) as http:
        http.get("/costly", cost=100)
        http.get("/costly", cost=100)
        assert http.quota_used == 200 and http.budget.used() == 200


def test_a_write_is_sent_once_and_not_redirected(base_url: str) -> None:
    options = HttpOptions(timeout=0.3, follow_redirects=False)
    with HttpClient(options=options) as http:  # full URLs, no budget
        failed = http.write_once(f"{base_url}/hook/down?status=503", content=b"hello")
        moved = http.write_once(f"{base_url}/hook/moved?redirect=1", json={"a": 1})
        delivered = http.write_once(f"{base_url}/hook/up", content=b"hello")
    assert failed.status_code == 503 and calls["/hook/down"] == 1
    assert moved.status_code == 307 and "/elsewhere" not in calls
    assert delivered.json() == {"body": "hello"}
    assert http.api_calls == 3
