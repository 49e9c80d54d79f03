"""The YouTube simulator over HTTP: discovery-document shapes, paging, quota, errors."""

from __future__ import annotations

from typing import Any

import httpx

from fanlens.simulators.ids import YOUTUBE_CREATOR_CHANNEL_ID as CHANNEL
from fanlens.simulators.run import RunningSimulator
from tests.simulators.schemas import check_youtube
from tests.simulators.worlds import interaction

UPLOADS = "UU" + CHANNEL[2:]


def get(sim: RunningSimulator, resource: str, **params: Any) -> httpx.Response:
    params.setdefault("key", "test-key")
    return httpx.get(f"{sim.base_url}/{resource}", params=params, timeout=10)


def pages(sim: RunningSimulator, resource: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    token = None
    while True:
        body = get(sim, resource, **params, **({"pageToken": token} if token else {})).json()
        items.extend(body.get("items", []))
        token = body.get("nextPageToken")
        if not token:
            return items


def test_responses_match_the_discovery_document(sims: dict[str, RunningSimulator]) -> None:
    sim = sims["youtube"]
    calls = [
        ("channels", {"forHandle": "@fanlenscreator"}, "ChannelListResponse"),
        ("channels", {"id": CHANNEL}, "ChannelListResponse"),
        ("playlistItems", {"playlistId": UPLOADS}, "PlaylistItemListResponse"),
        ("videos", {"id": "yo-p1,yo-p2,yo-000001"}, "VideoListResponse"),
        ("commentThreads", {"videoId": "yo-p1"}, "CommentThreadListResponse"),
        ("commentThreads", {"allThreadsRelatedToChannelId": CHANNEL}, "CommentThreadListResponse"),
        ("comments", {"parentId": "c0"}, "CommentListResponse"),
    ]
    part = "snippet,contentDetails,statistics,replies"
    for resource, params, schema in calls:
        response = get(sim, resource, part=part, **params)
        assert response.status_code == 200, response.text
        assert response.json().get("items"), resource
        check_youtube(response.json(), schema)


def test_a_field_outside_the_schema_fails_the_check() -> None:
    bad = {"kind": "youtube#videoListResponse", "items": [{"kind": "youtube#video", "likes": 1}]}
    try:
        check_youtube(bad, "VideoListResponse")
    except AssertionError as exc:
        assert "likes" in str(exc)
    else:
        raise AssertionError("the schema check accepted an unknown field")


def test_paging_returns_every_item_exactly_once(sims: dict[str, RunningSimulator]) -> None:
    sim = sims["youtube"]
    world = sim.simulator.world
    videos = pages(sim, "playlistItems", part="contentDetails", playlistId=UPLOADS, maxResults=1)
    video_ids = [v["contentDetails"]["videoId"] for v in videos]
    assert sorted(video_ids) == sorted(world.posts)
    threads = pages(sim, "commentThreads", part="snippet", videoId="yo-p1", maxResults=7)
    assert sorted(t["id"] for t in threads) == sorted(f"c{n}" for n in range(30))
    times = [t["snippet"]["topLevelComment"]["snippet"]["publishedAt"] for t in threads]
    assert times == sorted(times, reverse=True)  # order=time: newest first
    replies = pages(sim, "comments", part="snippet", parentId="c0", maxResults=2)
    assert [r["id"] for r in replies] == [f"re{n}" for n in range(5)]
    assert {r["snippet"]["parentId"] for r in replies} == {"c0"}
    everything = pages(
        sim, "commentThreads", part="snippet", maxResults=9, allThreadsRelatedToChannelId=CHANNEL
    )
    ids = [t["id"] for t in everything]
    comments = [i.key for i in world.of_kind("comment")]
    assert len(ids) == len(set(ids)) and set(comments) <= set(ids)


def test_thread_replies_are_a_subset_and_likes_are_counts(
    sims: dict[str, RunningSimulator],
) -> None:
    sim = sims["youtube"]
    thread = get(sim, "commentThreads", part="snippet,replies", id="c0").json()["items"][0]
    assert thread["snippet"]["totalReplyCount"] == 5
    assert len(thread["replies"]["comments"]) <= 5
    stats = get(sim, "videos", part="statistics", id="yo-p1,yo-p2").json()["items"]
    by_id = {v["id"]: v["statistics"] for v in stats}
    assert by_id["yo-p1"]["likeCount"] == "30"  # no metric in the world: the likes counted
    assert by_id["yo-p2"]["likeCount"] == "77"  # the world's own metric


def test_new_activity_shows_up_first(sims: dict[str, RunningSimulator]) -> None:
    sim = sims["youtube"]
    record = interaction(
        "youtube", "comment", 99, 100_000, "yo-p1", external_id="new-c", text="late to the party"
    )
    added = httpx.post(f"{sim.root_url}/_sim/world", json={"records": [record, record]}).json()
    assert added == {"added": 1}
    first = get(sim, "commentThreads", part="snippet", videoId="yo-p1", maxResults=1).json()
    assert first["items"][0]["id"] == "new-c"


def test_quota_runs_out_with_quota_exceeded(sims: dict[str, RunningSimulator]) -> None:
    sim = sims["youtube"]
    used = httpx.get(f"{sim.root_url}/_sim/state").json()["quota"]["used"]
    sim.set_faults(quota={"limit": used + 2})
    try:
        assert get(sim, "videos", part="statistics", id="yo-p1").status_code == 200
        assert get(sim, "videos", part="statistics", id="nope").status_code == 200
        refused = get(sim, "videos", part="statistics", id="yo-p1")
        assert refused.status_code == 403
        error = refused.json()["error"]
        assert error["code"] == 403 and error["errors"][0]["reason"] == "quotaExceeded"
        assert error["errors"][0]["domain"] == "youtube.quota"
    finally:
        sim.set_faults(quota={"limit": 10_000, "used": 0})


def test_documented_errors(sims: dict[str, RunningSimulator]) -> None:
    sim = sims["youtube"]
    reasons = [
        (get(sim, "commentThreads", part="snippet", videoId="missing"), 404, "videoNotFound"),
        (get(sim, "comments", part="snippet", parentId="missing"), 404, "commentNotFound"),
        (get(sim, "playlistItems", part="snippet", playlistId="UUx"), 404, "playlistNotFound"),
        (
            get(sim, "commentThreads", part="snippet", videoId="yo-p1", pageToken="zz"),
            400,
            "invalidPageToken",
        ),
        (get(sim, "videos", id="yo-p1"), 400, "required"),
        (get(sim, "videos", part="id", id=",".join(["a"] * 51)), 400, "invalidFilters"),
        (httpx.get(f"{sim.base_url}/videos", params={"part": "id", "id": "a"}), 403, "forbidden"),
    ]
    for response, status, reason in reasons:
        assert response.status_code == status, response.text
        assert response.json()["error"]["errors"][0]["reason"] == reason
    assert "items" not in get(sim, "channels", part="id", forHandle="@nobody").json()


def test_channels_by_id_serve_the_commenters_channels(sims: dict[str, RunningSimulator]) -> None:
    sim = sims["youtube"]
    users = sim.simulator.world.users
    counted = next(u for u in users.values() if (u.follower_count or 0) >= 1000)
    hidden = next(u for u in users.values() if u.follower_count is None)
    ids = [counted.external_user_id, "UCnobody", hidden.external_user_id]
    body = get(sim, "channels", part="snippet,statistics", id=",".join(ids)).json()
    check_youtube(body, "ChannelListResponse")
    by_id = {item["id"]: item for item in body["items"]}
    assert set(by_id) == {counted.external_user_id, hidden.external_user_id}  # unknown: dropped
    seen = by_id[counted.external_user_id]
    assert seen["snippet"]["title"] == counted.display_name
    assert seen["snippet"]["customUrl"] == "@" + counted.username.lower()
    assert seen["snippet"]["description"] == (counted.bio or "")
    # Public counts are cut to three significant figures.
    shown = int(seen["statistics"]["subscriberCount"])
    digits = len(str(counted.follower_count))
    assert shown == counted.follower_count // 10 ** (digits - 3) * 10 ** (digits - 3)
    assert "subscriberCount" not in by_id[hidden.external_user_id]["statistics"]
    assert by_id[hidden.external_user_id]["statistics"]["hiddenSubscriberCount"] is True
    too_many = get(sim, "channels", part="id", id=",".join(f"UC{n}" for n in range(51)))
    assert too_many.json()["error"]["errors"][0]["reason"] == "invalidFilters"
