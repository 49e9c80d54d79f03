"""A token of workspace B calls every route and learns nothing about workspace A."""

from __future__ import annotations

from fastapi.testclient import TestClient

from fanlens.server.app import create_app
from tests.api.conftest import API, World

# Every {param} of the API's paths, filled with workspace A's ids.
A_IDS = {
    "content_id": "brew",
    "follower_id": "amy",
    "interaction_id": "so_good",
    "person_id": "amy",  # a follower's first person has the follower's id
    "campaign_id": "campaign",
}

# A stream answers until told when to end.
STREAM_PARAMS = {f"{API}/live": {"max_seconds": "1"}}


def _api_paths() -> list[str]:
    """Every GET path of the API, from the OpenAPI document (so new routes are covered)."""
    paths = create_app().openapi()["paths"]
    return [p for p, ops in paths.items() if p.startswith(API) and "get" in ops]


def test_foreign_token_sees_nothing_of_another_workspace(client: TestClient, world: World) -> None:
    a_ids = {str(v) for k, v in world.ids.items() if k not in ("b", "b_item", "b_fan")}
    routes = _api_paths()
    assert len(routes) >= 7
    for route in routes:
        path = route
        for param, key in A_IDS.items():
            path = path.replace("{" + param + "}", str(world.ids[key]))
        assert "{" not in path, f"add the parameter of {route} to A_IDS"
        for fmt in ("json", "csv"):
            params = {"format": fmt, **STREAM_PARAMS.get(route, {})}
            response = client.get(path, params=params, headers=world.headers("b_read"))
            if "{" in route:
                assert response.status_code == 404, path
                assert response.json()["error"]["code"] == "not_found"
            else:
                assert response.status_code == 200, path
            # the 404 message may echo the id asked for; any other A id is a leak
            leaked = [i for i in a_ids if i in response.text and i not in path]
            assert not leaked, f"{path} ({fmt}) leaked workspace A ids {leaked}"
            for secret in ("Cold brew", "super_sam", "love it"):
                assert secret not in response.text, f"{path} leaked {secret!r}"
    # and B's own data is there: the test can tell an empty answer from a scoped one
    mine = client.get(API + "/activity", headers=world.headers("b_read")).json()
    assert [i["interaction_value"] for i in mine["items"]] == ["B secret"]


def test_a_ids_are_404_not_403_for_b(client: TestClient, world: World) -> None:
    for path in (f"/content/{world.ids['latte']}", f"/followers/{world.ids['sam']}"):
        response = client.get(API + path, headers=world.headers("b_read"))
        assert response.status_code == 404
        own = client.get(API + path, headers=world.headers("a_read"))
        assert own.status_code == 200
