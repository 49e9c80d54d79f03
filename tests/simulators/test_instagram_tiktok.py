"""The Instagram and TikTok simulators speak the documented shapes: envelopes, paging, usage
headers, error bodies and token refresh."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import httpx
import pytest

from fanlens.simulators import ids
from fanlens.simulators.run import RunningSimulator, start_simulator, world_records

GRAPH_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+0000$")


@pytest.fixture(scope="module")
def instagram() -> Iterator[RunningSimulator]:
    sim = start_simulator("instagram", world_records("tiny", 0, "instagram"))
    yield sim
    sim.stop()


@pytest.fixture(scope="module")
def tiktok() -> Iterator[RunningSimulator]:
    sim = start_simulator("tiktok", world_records("tiny", 0, "tiktok"))
    yield sim
    sim.stop()


def graph(sim: RunningSimulator, path: str, **params: object) -> httpx.Response:
    return httpx.get(f"{sim.base_url}/v22.0/{path}", params={"access_token": "t", **params})


def test_instagram_media_pages_by_cursor_until_next_is_absent(instagram: RunningSimulator) -> None:
    seen: list[str] = []
    times: list[str] = []
    params: dict[str, object] = {"fields": "id,timestamp,like_count,media_type", "limit": 2}
    while True:
        response = graph(instagram, f"{ids.INSTAGRAM_CREATOR_ID}/media", **params)
        assert response.status_code == 200
        body = response.json()
        for media in body["data"]:
            assert GRAPH_TIME.match(media["timestamp"]) and "caption" not in media
            assert media["media_type"] in ("IMAGE", "VIDEO", "CAROUSEL_ALBUM")
        seen.extend(m["id"] for m in body["data"])
        times.extend(m["timestamp"] for m in body["data"])
        usage = json.loads(response.headers["X-Business-Use-Case-Usage"])
        assert usage[ids.INSTAGRAM_CREATOR_ID][0]["type"] == "instagram"
        assert "call_count" in json.loads(response.headers["X-App-Usage"])
        if "next" not in body["paging"]:
            break
        params["after"] = body["paging"]["cursors"]["after"]
    assert len(seen) == len(set(seen)) == len(instagram.simulator.world.posts) > 2
    assert times == sorted(times, reverse=True)  # newest first


def test_instagram_insights_fail_whole_on_a_retired_metric(instagram: RunningSimulator) -> None:
    media = graph(instagram, f"{ids.INSTAGRAM_CREATOR_ID}/media").json()["data"][0]["id"]
    ok = graph(instagram, f"{media}/insights", metric="views,reach")
    assert [m["name"] for m in ok.json()["data"]] == ["views", "reach"]
    assert ok.json()["data"][0]["values"][0]["value"] >= 0
    refused = graph(instagram, f"{media}/insights", metric="views,impressions")
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["code"] == 100 and error["type"] == "OAuthException" and "fbtrace_id" in error
    assert "impressions" in error["message"]
    missing = graph(instagram, "999/comments").json()["error"]
    assert (missing["code"], missing["error_subcode"]) == (100, 33)


def test_instagram_tokens_refresh_and_expire(instagram: RunningSimulator) -> None:
    refreshed = httpx.get(
        f"{instagram.root_url}/refresh_access_token",
        params={"grant_type": "ig_refresh_token", "access_token": "t"},
    ).json()
    assert refreshed["token_type"] == "bearer" and refreshed["expires_in"] > 5_000_000
    instagram.set_faults(token="expired")
    try:
        error = graph(instagram, ids.INSTAGRAM_CREATOR_ID).json()["error"]
    finally:
        instagram.clear_faults()
    assert (error["code"], error["error_subcode"]) == (190, 463)


def test_tiktok_video_list_pages_by_millisecond_cursor(tiktok: RunningSimulator) -> None:
    headers = {"Authorization": "Bearer act.sim"}
    url = f"{tiktok.base_url}/v2/video/list/"
    fields = {"fields": "id,create_time,like_count,view_count"}
    seen: list[int] = []
    body: dict[str, object] = {"max_count": 2}
    while True:
        answer = httpx.post(url, params=fields, json=body, headers=headers).json()
        assert answer["error"]["code"] == "ok" and answer["error"]["log_id"]
        seen.extend(v["create_time"] for v in answer["data"]["videos"])
        if not answer["data"]["has_more"]:
            break
        body["cursor"] = answer["data"]["cursor"]
    assert seen == sorted(seen, reverse=True) and len(seen) == len(tiktok.simulator.world.posts)
    too_many = httpx.post(url, params=fields, json={"max_count": 21}, headers=headers)
    assert too_many.status_code == 400 and too_many.json()["error"]["code"] == "invalid_params"
    no_token = httpx.post(url, params=fields, json={})
    assert no_token.status_code == 401
    assert no_token.json()["error"]["code"] == "access_token_invalid"


def test_tiktok_business_errors_answer_http_200_with_a_code(tiktok: RunningSimulator) -> None:
    url = f"{tiktok.root_url}/open_api/v1.3/business/comment/list/"
    params = {"business_id": ids.TIKTOK_CREATOR_OPEN_ID, "video_id": "1"}
    bad_token = httpx.get(url, params=params, headers={"Access-Token": "nope"})
    assert bad_token.status_code == 200 and bad_token.json()["code"] == 40105
    no_video = httpx.get(url, params=params, headers={"Access-Token": "act.sim"})
    assert no_video.status_code == 200 and no_video.json()["code"] == 40002


def test_tiktok_refresh_tokens_rotate(tiktok: RunningSimulator) -> None:
    form = {"client_key": "sim-client", "client_secret": "s", "grant_type": "refresh_token"}
    url = f"{tiktok.base_url}/v2/oauth/token/"
    first = httpx.post(url, data={**form, "refresh_token": "rft.sim"}).json()
    assert first["access_token"].startswith("act.") and first["refresh_token"] != "rft.sim"
    reused = httpx.post(url, data={**form, "refresh_token": "rft.sim"})
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
