"""The Mastodon simulator over HTTP: entity fields, Link paging, X-RateLimit headers, errors."""

from __future__ import annotations

from typing import Any

import httpx

from fanlens.simulators.ids import MASTODON_CREATOR_ID as CREATOR
from fanlens.simulators.ids import mastodon_account_id
from fanlens.simulators.run import RunningSimulator
from tests.simulators.schemas import (
    MASTODON_ACCOUNT,
    MASTODON_NOTIFICATION,
    MASTODON_STATUS,
    check_mastodon,
)
from tests.simulators.worlds import interaction

TOKEN = {"Authorization": "Bearer test-token"}


def get(sim: RunningSimulator, path: str, token: bool = False, **params: Any) -> httpx.Response:
    return httpx.get(
        f"{sim.base_url}/api/v1/{path}", params=params, timeout=10, headers=TOKEN if token else {}
    )


def follow_links(url: str, token: bool = False, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    with httpx.Client(headers=TOKEN if token else {}, timeout=10) as client:
        response = client.get(url, params=params)
        while True:
            assert response.status_code == 200, response.text
            items.extend(response.json())
            nxt = response.links.get("next", {}).get("url")
            if not nxt or not response.json():
                return items
            response = client.get(nxt)


def p1(sim: RunningSimulator) -> str:
    statuses = follow_links(f"{sim.base_url}/api/v1/accounts/{CREATOR}/statuses")
    return next(s["id"] for s in statuses if "Cold brew in 60 seconds ☕" in s["content"])


def test_entities_have_the_documented_fields(sims: dict[str, RunningSimulator]) -> None:
    sim = sims["mastodon"]
    check_mastodon(get(sim, "accounts/lookup", acct="creator").json(), MASTODON_ACCOUNT)
    sid = p1(sim)
    for status in get(sim, f"accounts/{CREATOR}/statuses").json():
        check_mastodon(status, MASTODON_STATUS)
    context = get(sim, f"statuses/{sid}/context").json()
    assert context["ancestors"] == [] and len(context["descendants"]) == 35
    for status in context["descendants"]:
        check_mastodon(status, MASTODON_STATUS)
    for path in (
        f"statuses/{sid}/favourited_by",
        f"statuses/{sid}/reblogged_by",
        f"accounts/{CREATOR}/followers",
    ):
        for account in get(sim, path).json():
            check_mastodon(account, MASTODON_ACCOUNT)
    notes = get(sim, "notifications", token=True).json()
    for note in notes:
        check_mastodon(note, MASTODON_NOTIFICATION)
    assert {n["type"] for n in notes} <= {"favourite", "reblog", "follow", "mention"}


def test_link_paging_returns_every_item_exactly_once(sims: dict[str, RunningSimulator]) -> None:
    sim = sims["mastodon"]
    sid = p1(sim)
    fans = sorted(mastodon_account_id(f"mau{n:04d}") for n in range(30))
    for path in (f"statuses/{sid}/favourited_by", f"statuses/{sid}/reblogged_by"):
        accounts = follow_links(f"{sim.base_url}/api/v1/{path}", limit=7)
        assert sorted(a["id"] for a in accounts) == fans
    followers = follow_links(f"{sim.base_url}/api/v1/accounts/{CREATOR}/followers", limit=8)
    world = sim.simulator.world
    assert len(followers) == len({a["id"] for a in followers}) == len(world.of_kind("follow"))
    notes = follow_links(f"{sim.base_url}/api/v1/notifications", token=True, limit=9)
    ids = [int(n["id"]) for n in notes]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids)
    by_type = {t: sum(n["type"] == t for n in notes) for t in ("favourite", "reblog", "follow")}
    assert by_type == {
        "favourite": len(world.of_kind("like")),
        "reblog": len(world.of_kind("repost")),
        "follow": len(world.of_kind("follow")),
    }
    mentions = [n for n in notes if n["type"] == "mention"]
    assert len(mentions) == len(world.of_kind("comment", "reply", "mention"))
    favourites = follow_links(
        f"{sim.base_url}/api/v1/notifications", token=True, **{"types[]": "favourite"}
    )
    assert {n["type"] for n in favourites} == {"favourite"}


def test_since_id_and_min_id_see_only_new_activity(sims: dict[str, RunningSimulator]) -> None:
    sim = sims["mastodon"]
    newest = get(sim, "notifications", token=True, limit=1).json()[0]["id"]
    new = [interaction("mastodon", "follow", 200 + n, 10**6 + n, None) for n in range(3)]
    httpx.post(f"{sim.root_url}/_sim/world", json=new).raise_for_status()
    fresh = get(sim, "notifications", token=True, since_id=newest).json()
    assert [n["type"] for n in fresh] == ["follow"] * 3
    forward = get(sim, "notifications", token=True, min_id=newest, limit=2)
    assert len(forward.json()) == 2
    assert 'rel="prev"' in forward.headers["Link"]


def test_rate_limit_headers_and_budget(sims: dict[str, RunningSimulator]) -> None:
    sim = sims["mastodon"]
    response = get(sim, "accounts/lookup", acct="creator")
    assert response.headers["X-RateLimit-Limit"] == "300"
    assert response.headers["X-RateLimit-Remaining"].isdigit()
    assert response.headers["X-RateLimit-Reset"].endswith("Z")
    sim.set_faults(budget={"paging_limit": 1})
    try:
        assert get(sim, "accounts/lookup", acct="creator", max_id="1").status_code == 200
        refused = get(sim, "accounts/lookup", acct="creator", max_id="1")
        assert refused.status_code == 429 and refused.json() == {"error": "Too many requests"}
        assert refused.headers["X-RateLimit-Remaining"] == "0"
        assert get(sim, "accounts/lookup", acct="creator").status_code == 200  # not paging
    finally:
        sim.set_faults(budget={"paging_limit": 300})


def test_documented_errors(sims: dict[str, RunningSimulator]) -> None:
    sim = sims["mastodon"]
    assert get(sim, "accounts/lookup", acct="nobody").json() == {"error": "Record not found"}
    assert get(sim, "statuses/123/context").status_code == 404
    refused = get(sim, "notifications")
    assert refused.status_code == 401
    assert refused.json() == {"error": "The access token is invalid"}


def test_account_by_id_serves_the_world_accounts(sims: dict[str, RunningSimulator]) -> None:
    sim = sims["mastodon"]
    world = sim.simulator.world
    fan = next(u for u in world.users.values() if u.follower_count is not None)
    account = get(sim, f"accounts/{mastodon_account_id(fan.external_user_id)}").json()
    check_mastodon(account, MASTODON_ACCOUNT)
    assert account["followers_count"] == fan.follower_count
    assert account["display_name"] == fan.display_name
    creator = get(sim, f"accounts/{CREATOR}").json()
    assert creator["id"] == CREATOR and creator["username"] == "creator"
    assert get(sim, "accounts/1").json() == {"error": "Record not found"}


def test_bio_links_and_profile_fields_are_rendered_like_mastodon() -> None:
    from fanlens.simulators.mastodon import linkify

    html_text = linkify("latte <3 at https://shop.example/a_b?x=1&y=2 daily")
    assert html_text.startswith('latte &lt;3 at <a href="https://shop.example/a_b?x=1&amp;y=2"')
    assert html_text.endswith("</a> daily")
    assert linkify("they/them") == "they/them"
