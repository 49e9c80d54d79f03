"""LeanRoute answers every request as FastAPI's own APIRoute does: the same endpoints served by
both, side by side, asked the same valid and invalid requests."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

import pytest
from fastapi import APIRouter, Body, FastAPI, Query, Request
from fastapi.responses import PlainTextResponse
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel

from fanlens.api import errors
from fanlens.api.dependencies import BearerToken
from fanlens.api.params import DEFAULT_LIMIT, FormatParam, Limit, Text, Timestamp
from fanlens.api.router import add_routes
from fanlens.api.routing import LeanRoute, _plan


class Echo(BaseModel):
    thing_id: uuid.UUID
    limit: int
    fmt: str | None
    since: str | None
    tags: list[str]
    kind: str
    q: str | None
    token: str
    path: str


probe = APIRouter(prefix="/things", tags=["probe"])


@probe.get("/{thing_id}", response_model=Echo)
async def get_thing(
    credentials: BearerToken,
    request: Request,
    thing_id: uuid.UUID,
    limit: Limit = DEFAULT_LIMIT,
    fmt: FormatParam = None,
    since: Timestamp = None,
    tags: Annotated[list[str], Query(alias="tag")] = [],  # noqa: B006 (FastAPI copies it)
    kind: Literal["a", "b"] = "a",
    q: Text = None,
) -> Echo | PlainTextResponse:
    if fmt == "csv":
        return PlainTextResponse("a,b\n1,2\n", headers={"X-Probe": "csv"})
    return Echo(
        thing_id=thing_id,
        limit=limit,
        fmt=fmt,
        since=since.isoformat() if since else None,
        tags=tags,
        kind=kind,
        q=q,
        token=credentials.credentials,
        path=request.url.path,
    )


@probe.get("", response_model=list[int], status_code=200)
async def count(credentials: BearerToken, n: Annotated[int, Query(ge=0, le=5)]) -> list[int]:
    return list(range(n))


@probe.post("/{thing_id}", response_model=dict[str, int])
async def post_thing(
    credentials: BearerToken, thing_id: uuid.UUID, body: Annotated[dict[str, int], Body()]
) -> dict[str, int]:
    return body


def _app() -> FastAPI:
    app = FastAPI()
    errors.install(app)
    add_routes(app, probe, prefix="/lean", kind=LeanRoute)
    add_routes(app, probe, prefix="/full")
    return app


TOKEN = {"Authorization": "Bearer fl_probe"}
THING = "/things/7d3c2a51-8a0e-4a7e-9f7b-3d6f0c1e2b4a"
REQUESTS = [
    (THING, TOKEN),
    (THING + "?limit=7&tag=x&tag=y&kind=b&q=hi&since=2026-11-01T10:00:00Z", TOKEN),
    (THING + "?limit=0&kind=c&since=yesterday&q=a%00b&tag=", TOKEN),
    (THING + "?limit=abc&cursor=zz&unknown=1", TOKEN),
    (THING + "?format=csv", TOKEN),
    (THING + "?format=xml", TOKEN),
    ("/things/not-a-uuid?limit=-1", TOKEN),
    (THING, {}),
    (THING + "?limit=0", {}),
    (THING, {"Authorization": "Basic abc"}),
    (THING, {"Authorization": "Bearer"}),
    ("/things?n=3", TOKEN),
    ("/things", TOKEN),
    ("/things?n=9&n=2", TOKEN),
    ("/things?n=x", {}),
]


@pytest.mark.parametrize(("url", "headers"), REQUESTS)
def test_lean_routes_answer_as_fastapi_does(url: str, headers: dict[str, str]) -> None:
    with TestClient(_app()) as client:
        lean = client.get("/lean" + url, headers=headers)
        full = client.get("/full" + url, headers=headers)
    assert lean.status_code == full.status_code
    assert lean.content == full.content.replace(b"/full/", b"/lean/")
    assert lean.headers == full.headers


def test_reads_are_lean_and_the_rest_is_fastapis() -> None:
    routes = {
        (route.path, *route.methods): route
        for route in _app().routes
        if isinstance(route, APIRoute) and route.path.startswith("/lean")
    }
    assert _plan(routes[("/lean/things/{thing_id}", "GET")]) is not None
    assert _plan(routes[("/lean/things", "GET")]) is not None
    assert _plan(routes[("/lean/things/{thing_id}", "POST")]) is None  # a body: FastAPI's
    with TestClient(_app()) as client:
        for side in ("lean", "full"):
            bad = client.post(f"/{side}{THING}", headers=TOKEN, content=b"{")
            assert bad.status_code == 422
            assert client.post(f"/{side}{THING}", headers=TOKEN, json={"a": 1}).json() == {"a": 1}
