"""Auth, the one error shape, request ids, ops routes, and CSV exports equal to JSON."""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session as OrmSession

from fanlens.api.dependencies import workspace_endpoint
from fanlens.auth.service import Principal
from fanlens.kit.csv_cells import cell, write_rows
from fanlens.server.app import create_app
from tests.api.conftest import API, World


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert response.headers["x-request-id"]
    return dict(body["error"])


def test_missing_invalid_and_revoked_tokens_are_401(client: TestClient, world: World) -> None:
    assert_error(client.get(API + "/content"), 401, "unauthorized")
    bad = client.get(API + "/content", headers={"Authorization": "Bearer fl_nope"})
    assert_error(bad, 401, "unauthorized")
    assert bad.headers["www-authenticate"] == "Bearer"
    assert_error(
        client.get(API + "/content", headers=world.headers("revoked")), 401, "unauthorized"
    )


def test_write_scope_is_403_for_a_read_token(world: World) -> None:
    app: FastAPI = create_app(world.engine)
    probe = APIRouter()

    @probe.post("/probe-write")
    @workspace_endpoint(write=True)
    def write(session: OrmSession, principal: Principal) -> dict[str, str]:
        return {"workspace": str(principal.workspace_id)}

    app.include_router(probe)
    with TestClient(app) as client:
        assert_error(client.post("/probe-write", headers=world.headers("a_read")), 403, "forbidden")
        ok = client.post("/probe-write", headers=world.headers("a_write"))
        assert ok.json() == {"workspace": str(world.ids["a"])}


def test_validation_errors_name_the_field(client: TestClient, world: World) -> None:
    h = world.headers()
    err = assert_error(client.get(API + "/content?limit=1000", headers=h), 422, "validation_error")
    assert "limit" in err["message"] and err["details"][0]["field"] == "limit"
    err = assert_error(
        client.get(API + "/followers/not-a-uuid", headers=h), 422, "validation_error"
    )
    assert err["details"][0]["field"] == "follower_id"
    err = assert_error(client.get(API + "/content?cursor=zzz", headers=h), 422, "invalid_input")
    assert err["details"][0]["field"] == "cursor"
    first = client.get(API + "/content?limit=1", headers=h).json()["next_cursor"]
    other_sort = client.get(API + f"/content?sort=posted_at&cursor={first}", headers=h)
    assert_error(other_sort, 422, "invalid_input")
    assert_error(client.get(API + "/followers?q=a%00b", headers=h), 422, "validation_error")


def test_404_405_request_id_and_ops_routes(client: TestClient, world: World) -> None:
    assert_error(client.get(API + "/nowhere"), 404, "not_found")
    assert_error(
        client.delete(API + "/content", headers=world.headers()), 405, "method_not_allowed"
    )
    echoed = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"
    assert echoed.json()["status"] == "ok"
    assert client.get("/healthz").headers["x-request-id"] != "abc-123"
    assert_error(client.get("/metrics"), 404, "not_found")  # off without FANLENS_METRICS_TOKEN
    spec = client.get("/openapi.json").json()
    assert f"{API}/followers/leaderboard" in spec["paths"]
    assert client.get("/docs").status_code == 200


LISTS = [
    ("/content", {"sort": "posted_at", "order": "asc"}),
    ("/followers", {"sort": "username"}),
    ("/followers/leaderboard", {"limit": 500}),
    ("/activity", {"platform": "instagram"}),
    ("/cohorts", {}),
]


def _json_items(client: TestClient, world: World, path: str, params: dict[str, Any]) -> list[Any]:
    items: list[Any] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        if path not in ("/followers/leaderboard", "/cohorts"):
            query.setdefault("limit", 7)
        body = client.get(API + path, params=query, headers=world.headers()).json()
        items += body["items"]
        cursor = body.get("next_cursor")
        if not cursor:
            return items


def test_csv_rows_equal_json_items(client: TestClient, world: World) -> None:
    for path, params in LISTS:
        items = _json_items(client, world, path, params)
        assert items, path
        via_param = client.get(
            API + path, params={**params, "format": "csv"}, headers=world.headers()
        )
        via_accept = client.get(
            API + path, params=params, headers={**world.headers(), "Accept": "text/csv"}
        )
        for response in (via_param, via_accept):
            assert response.headers["content-type"].startswith("text/csv")
            rows = list(csv.DictReader(io.StringIO(response.text)))
            expected = [{k: str(cell(v)) for k, v in item.items()} for item in items]
            assert rows == expected, path


def test_csv_cells_that_a_spreadsheet_would_run_get_a_quote() -> None:
    for text in ("=1+2", "+1 great", "-cmd", "@SUM(A1)", "\tx", "\rx", "-1+1", "-"):
        assert cell(text) == "'" + text
    assert cell(["=a", "b"]) == "'=a|b"
    for number in (-3, -0.25, 12):
        assert cell(number) == number  # numbers are written as numbers
    for plain in ("-3", "-0.25", "-1e5", "hello", "a=b", ""):
        assert cell(plain) == plain  # numbers carried as text (decimals) stay numbers
    out = io.StringIO()
    write_rows(out, ["name", "n"], [{"name": "@me", "n": -2}, {"name": None}])
    assert out.getvalue().splitlines() == ["name,n", "'@me,-2", ","]
