"""The Bluesky simulator over HTTP: lexicon models, cursor paging, RateLimit headers, errors."""

from __future__ import annotations

from typing import Any

import httpx
from atproto_client import models

from fanlens.simulators.ids import BLUESKY_CREATOR_DID as CREATOR
from fanlens.simulators.ids import bluesky_did, bluesky_post_uri
from fanlens.simulators.run import RunningSimulator
from tests.simulators.schemas import check_atproto

P1 = bluesky_post_uri(CREATOR, "bl-p1")


def get(sim: RunningSimulator, nsid: str, **params: Any) -> httpx.Response:
    return httpx.get(f"{sim.base_url}/{nsid}", params=params, timeout=10)


def pages(sim: RunningSimulator, nsid: str, key: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        body = get(sim, nsid, **params, **({"cursor": cursor} if cursor else {})).json()
        items.extend(body[key])
        cursor = body.get("cursor")
        if not cursor or not body[key]:
            return items


def test_responses_parse_into_the_lexicon_models(sims: dict[str, RunningSimulator]) -> None:
    sim = sims["bluesky"]
    reply = bluesky_post_uri(bluesky_did("blu0000"), "c0")
    calls = [
        (
            "app.bsky.feed.getAuthorFeed",
            {"actor": "creator.bsky.social"},
            models.AppBskyFeedGetAuthorFeed.Response,
        ),
        ("app.bsky.feed.getPostThread", {"uri": P1}, models.AppBskyFeedGetPostThread.Response),
        ("app.bsky.feed.getPostThread", {"uri": reply}, models.AppBskyFeedGetPostThread.Response),
        ("app.bsky.feed.getLikes", {"uri": P1}, models.AppBskyFeedGetLikes.Response),
        ("app.bsky.feed.getRepostedBy", {"uri": P1}, models.AppBskyFeedGetRepostedBy.Response),
        ("app.bsky.feed.getQuotes", {"uri": P1}, models.AppBskyFeedGetQuotes.Response),
        (
            "app.bsky.graph.getFollowers",
            {"actor": CREATOR},
            models.AppBskyGraphGetFollowers.Response,
        ),
        (
            "app.bsky.actor.getProfiles",
            {"actors": [CREATOR, bluesky_did("blu0001"), "x.bsky.social"]},
            models.AppBskyActorGetProfiles.Response,
        ),
        (
            "com.atproto.identity.resolveHandle",
            {"handle": "creator.bsky.social"},
            models.ComAtprotoIdentityResolveHandle.Response,
        ),
    ]
    for nsid, params, model in calls:
        response = get(sim, nsid, **params)
        assert response.status_code == 200, response.text
        check_atproto(response.json(), model)
    profile = get(sim, "app.bsky.actor.getProfile", actor=CREATOR).json()
    check_atproto(profile, models.AppBskyActorDefs.ProfileViewDetailed)
    thread = get(sim, "app.bsky.feed.getPostThread", uri=reply).json()["thread"]
    assert thread["parent"]["post"]["uri"] == P1  # a reply shows its parent


def test_paging_returns_every_item_exactly_once(sims: dict[str, RunningSimulator]) -> None:
    sim = sims["bluesky"]
    fans = {bluesky_did(f"blu{n:04d}") for n in range(30)}
    likes = pages(sim, "app.bsky.feed.getLikes", "likes", uri=P1, limit=7)
    assert sorted(like["actor"]["did"] for like in likes) == sorted(fans)
    times = [like["createdAt"] for like in likes]
    assert times == sorted(times, reverse=True)
    reposts = pages(sim, "app.bsky.feed.getRepostedBy", "repostedBy", uri=P1, limit=4)
    assert sorted(p["did"] for p in reposts) == sorted(fans)
    quotes = pages(sim, "app.bsky.feed.getQuotes", "posts", uri=P1, limit=2)
    assert len({q["uri"] for q in quotes}) == len(quotes) == 5
    followers = pages(sim, "app.bsky.graph.getFollowers", "followers", actor=CREATOR, limit=9)
    follows = sim.simulator.world.of_kind("follow")
    assert sorted(f["did"] for f in followers) == sorted(bluesky_did(f.user_id) for f in follows)
    feed = pages(sim, "app.bsky.feed.getAuthorFeed", "feed", actor=CREATOR, limit=1)
    assert len(feed) == len(sim.simulator.world.posts)


def test_comments_and_mentions_are_replies_in_the_thread(sims: dict[str, RunningSimulator]) -> None:
    sim = sims["bluesky"]
    thread = get(sim, "app.bsky.feed.getPostThread", uri=P1).json()["thread"]
    replies = [r["post"] for r in thread["replies"]]
    mentions = [r for r in replies if r["record"].get("facets")]
    assert len(replies) == 30 + 5 and len(mentions) == 5
    feature = mentions[0]["record"]["facets"][0]["features"][0]
    assert feature == {"$type": "app.bsky.richtext.facet#mention", "did": CREATOR}
    nested = next(r for r in thread["replies"] if r["post"]["uri"].endswith("/c0"))
    assert len(nested["replies"]) == 5  # replies to a comment nest under it


def test_rate_limit_headers_and_budget(sims: dict[str, RunningSimulator]) -> None:
    sim = sims["bluesky"]
    response = get(sim, "app.bsky.actor.getProfile", actor=CREATOR)
    for header in ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"):
        assert response.headers[header].isdigit()
    assert response.headers["RateLimit-Policy"] == "3000;w=300"
    sim.set_faults(budget={"limit": 2, "window": 300})
    try:
        statuses = [get(sim, "app.bsky.actor.getProfile", actor=CREATOR) for _ in range(3)]
        assert [r.status_code for r in statuses] == [200, 200, 429]
        assert statuses[2].json() == {
            "error": "RateLimitExceeded",
            "message": "Rate Limit Exceeded",
        }
        assert statuses[2].headers["RateLimit-Remaining"] == "0"
        assert int(statuses[2].headers["Retry-After"]) > 0
    finally:
        sim.set_faults(budget={"limit": 3000, "window": 300})


def test_documented_errors(sims: dict[str, RunningSimulator]) -> None:
    sim = sims["bluesky"]
    cases = [
        (
            get(sim, "com.atproto.identity.resolveHandle", handle="nobody.bsky.social"),
            "InvalidRequest",
            "Unable to resolve handle",
        ),
        (
            get(sim, "app.bsky.actor.getProfile", actor="nobody.bsky.social"),
            "InvalidRequest",
            "Profile not found",
        ),
        (
            get(sim, "app.bsky.feed.getPostThread", uri=P1 + "x"),
            "NotFound",
            f"Post not found: {P1}x",
        ),
        (
            get(sim, "app.bsky.feed.getLikes", uri=P1, limit=101),
            "InvalidRequest",
            "Error: limit can not be greater than 100",
        ),
        (
            get(sim, "app.bsky.feed.getLikes", uri=P1, cursor="nonsense"),
            "InvalidRequest",
            "Malformed cursor",
        ),
    ]
    for response, name, message in cases:
        assert response.status_code == 400
        assert response.json() == {"error": name, "message": message}
    assert get(sim, "app.bsky.feed.getLikes", uri=P1 + "x").json()["likes"] == []


def test_a_fans_repo_lists_its_records_and_a_delete_takes_one_out() -> None:
    from fanlens.simulators.run import start_simulator
    from tests.simulators.worlds import interaction, small_world

    extra = [f"bl-p{n}" for n in range(3, 7)]
    records = small_world("bluesky", fans=2) + [
        {"type": "post", "platform": "bluesky", "external_post_id": p, "posted_at": ts}
        for p, ts in zip(extra, ("2026-01-03T00:00:00Z",) * 4, strict=True)
    ]
    records += [interaction("bluesky", "like", 0, 500 + n, p) for n, p in enumerate(extra)]
    fan = bluesky_did("blu0000")
    with start_simulator("bluesky", records) as sim:
        query = {"repo": fan, "collection": "app.bsky.feed.like"}
        first = get(sim, "com.atproto.repo.listRecords", **query, limit=2)
        check_atproto(first.json(), models.ComAtprotoRepoListRecords.Response)
        likes = pages(sim, "com.atproto.repo.listRecords", "records", **query, limit=2)
        keys = [like["uri"].rsplit("/", 1)[-1] for like in likes]
        assert len(set(keys)) == len(keys) == 5 and keys == sorted(keys, reverse=True)
        oldest_first = pages(
            sim, "com.atproto.repo.listRecords", "records", **query, reverse="true"
        )
        assert [like["uri"] for like in oldest_first] == [like["uri"] for like in likes][::-1]
        assert {like["value"]["subject"]["uri"] for like in likes} == {
            bluesky_post_uri(CREATOR, p) for p in ["bl-p1", *extra]
        }
        document = httpx.get(f"{sim.root_url}/{fan}", timeout=10).json()
        assert document["service"] == [
            {
                "id": "#atproto_pds",
                "type": "AtprotoPersonalDataServer",
                "serviceEndpoint": sim.root_url,
            }
        ]

        [event] = sim.delete([interaction("bluesky", "like", 0, 100, "bl-p1")])
        assert event["did"] == fan and event["commit"]["operation"] == "delete"
        assert event["commit"]["collection"] == "app.bsky.feed.like"
        assert "record" not in event["commit"]  # a delete names the record key alone
        left = pages(sim, "com.atproto.repo.listRecords", "records", **query)
        assert len(left) == 4
        assert event["commit"]["rkey"] not in {r["uri"].rsplit("/", 1)[-1] for r in left}
        likers = pages(sim, "app.bsky.feed.getLikes", "likes", uri=P1)
        assert fan not in {like["actor"]["did"] for like in likers} and len(likers) == 1
