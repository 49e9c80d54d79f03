"""Endpoint answers over the small world of conftest.py (whose numbers are known)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from fanlens.server.app import create_app
from tests.api.conftest import API, World


def get(client: TestClient, world: World, path: str, who: str = "a_read", **params: Any) -> Any:
    response = client.get(API + path, params=params, headers=world.headers(who))
    assert response.status_code == 200, response.text
    return response.json()


def titles(body: dict[str, Any]) -> list[str]:
    return [item["title"] for item in body["items"]]


def test_content_list_sorts_by_total_engagement(client: TestClient, world: World) -> None:
    body = get(client, world, "/content")
    assert titles(body) == ["Latte art basics", "Cold brew in 60 seconds", "Espresso myths"]
    brew = body["items"][1]
    assert brew["platforms"] == ["instagram", "tiktok"]
    assert (brew["total_engagement"], brew["total_comments"], brew["total_views"]) == (
        220,
        50,
        1500,
    )
    assert brew["best_platform"] == "tiktok"
    assert abs(brew["engagement_rate"] - 220 / 1500) < 1e-6
    assert body["items"][2]["engagement_rate"] is None  # no views reported
    assert body["next_cursor"] is None


def test_content_filters_and_other_sorts(client: TestClient, world: World) -> None:
    assert titles(get(client, world, "/content", platform="instagram")) == [
        "Cold brew in 60 seconds",
        "Espresso myths",
    ]
    assert titles(get(client, world, "/content", tag="coffee")) == ["Cold brew in 60 seconds"]
    assert titles(get(client, world, "/content", q="LATTE")) == ["Latte art basics"]
    assert titles(get(client, world, "/content", q="%")) == []  # wildcards are literal
    assert titles(
        get(client, world, "/content", posted_from="2026-11-01T00:00:00Z",
            posted_to="2026-11-05T00:00:00Z")
    ) == ["Cold brew in 60 seconds"]  # fmt: skip
    by_comments = get(client, world, "/content", sort="total_comments")
    assert titles(by_comments) == ["Cold brew in 60 seconds", "Latte art basics", "Espresso myths"]
    oldest = get(client, world, "/content", sort="posted_at", order="asc")
    assert titles(oldest) == ["Espresso myths", "Cold brew in 60 seconds", "Latte art basics"]
    by_rate = get(client, world, "/content", sort="engagement_rate")
    assert titles(by_rate) == ["Latte art basics", "Cold brew in 60 seconds", "Espresso myths"]


def test_keyset_pages_walk_every_item_once(client: TestClient, world: World) -> None:
    for sort, order in (
        ("engagement_rate", "asc"),
        ("posted_at", "desc"),
        ("total_comments", "asc"),
    ):
        everything = titles(get(client, world, "/content", sort=sort, order=order))
        walked: list[str] = []
        cursor = None
        while True:
            params = {"sort": sort, "order": order, "limit": 1}
            page = get(
                client, world, "/content", **params, **({"cursor": cursor} if cursor else {})
            )
            walked += titles(page)
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert walked == everything


def test_content_detail(client: TestClient, world: World) -> None:
    body = get(client, world, f"/content/{world.ids['brew']}")
    assert body["best_platform"] == "tiktok"
    assert "most engagement" in body["best_platform_rule"]
    by_platform = {p["platform"]: p for p in body["by_platform"]}
    assert by_platform["tiktok"]["engagement"] == 130
    assert by_platform["instagram"]["engagement"] == 90
    assert by_platform["tiktok"]["posts"][0]["views"] == 1000
    days = {d["day"]: d for d in body["interactions_per_day"]}
    assert days["2026-11-03"]["by_type"] == {"share": 50}
    assert days["2026-11-20"] == {
        "day": "2026-11-20",
        "total": 2,
        "by_type": {"comment": 1, "like": 1},
    }
    assert [(c["username"], c["comment_count"]) for c in body["top_commenters"]] == [
        ("creator_amy", 3),
        ("super_sam", 1),
    ]


def test_followers_list_filters_and_sorts(client: TestClient, world: World) -> None:
    names = lambda body: [f["username"] for f in body["items"]]  # noqa: E731
    assert names(get(client, world, "/followers")) == [
        "super_sam", "creator_amy", "lurker_lu", "quiet_quinn",
    ]  # fmt: skip
    assert names(get(client, world, "/followers", tier="super_fan")) == ["super_sam"]
    assert names(get(client, world, "/followers", min_score=10)) == ["super_sam", "creator_amy"]
    assert names(get(client, world, "/followers", q="@AMY")) == ["creator_amy"]
    assert names(get(client, world, "/followers", platform="tiktok")) == [
        "creator_amy", "lurker_lu",
    ]  # fmt: skip
    assert names(get(client, world, "/followers", active_since="2026-11-15T00:00:00Z")) == [
        "creator_amy"
    ]
    assert names(get(client, world, "/followers", sort="username", order="asc")) == [
        "creator_amy", "lurker_lu", "quiet_quinn", "super_sam",
    ]  # fmt: skip
    first = get(client, world, "/followers", limit=3)
    rest = get(client, world, "/followers", limit=3, cursor=first["next_cursor"])
    assert names(rest) == ["quiet_quinn"] and rest["next_cursor"] is None
    amy = get(client, world, "/followers", q="amy")["items"][0]
    assert (amy["engagement_score"], amy["engagement_tier"], amy["comment_count"]) == (
        16, "lurker", 3,
    )  # fmt: skip


def test_leaderboard(client: TestClient, world: World) -> None:
    body = get(client, world, "/followers/leaderboard", limit=2)
    assert [(e["rank"], e["username"], e["engagement_score"]) for e in body["items"]] == [
        (1, "super_sam", 505),
        (2, "creator_amy", 16),
    ]
    tiktok = get(client, world, "/followers/leaderboard", platform="tiktok")
    assert [e["username"] for e in tiktok["items"]] == ["creator_amy", "lurker_lu"]


def test_follower_detail(client: TestClient, world: World) -> None:
    body = get(client, world, f"/followers/{world.ids['amy']}", activity_limit=3)
    assert body["profile"]["username"] == "creator_amy"
    assert body["score"]["engagement_score"] == 16
    assert body["score"]["engagement_tier"] == "lurker"
    assert (body["score"]["comment_count"], body["score"]["like_count"]) == (3, 1)
    explanation = body["score_explanation"]
    assert {(x["interaction_type"], x["count"], x["points"]) for x in explanation["lines"]} == {
        ("comment", 3, 15), ("like", 1, 1),
    }  # fmt: skip
    assert (explanation["score"], explanation["tier"]) == (16, "lurker")
    assert (explanation["next_tier"], explanation["points_to_next_tier"]) == ("active", 84)
    assert body["tier_history"][-1]["to_tier"] == "lurker"
    assert [a["interaction_type"] for a in body["activity"]["items"]] == [
        "like",
        "comment",
        "comment",
    ]
    more = get(client, world, f"/followers/{world.ids['amy']}", activity_limit=3,
               activity_cursor=body["activity"]["next_cursor"])  # fmt: skip
    assert [a["interaction_value"] for a in more["activity"]["items"]] == ["love it (day 18)"]
    assert [c["interaction_value"] for c in body["comments"]] == [
        "love it (day 20)", "love it (day 19)", "love it (day 18)",
    ]  # fmt: skip
    quinn = get(client, world, f"/followers/{world.ids['quinn']}")
    assert quinn["score"] is None and quinn["activity"]["items"] == []


def test_activity_answers_what_amy_commented_on_last_week(client: TestClient, world: World) -> None:
    body = get(client, world, "/activity", username="@creator_amy", type="comment",
               since="2026-11-19T00:00:00Z", until="2026-11-21T00:00:00Z")  # fmt: skip
    assert [(a["content_title"], a["interaction_value"]) for a in body["items"]] == [
        ("Cold brew in 60 seconds", "love it (day 20)"),
        ("Cold brew in 60 seconds", "love it (day 19)"),
    ]
    assert "B secret" not in str(get(client, world, "/activity", username="creator_amy"))
    assert len(get(client, world, "/activity", platform="instagram", limit=200)["items"]) == 51


def test_the_leaderboard_searches_usernames_as_the_follower_list_does(
    client: TestClient, world: World
) -> None:
    def ranked(**params: Any) -> list[tuple[int, str]]:
        items = get(client, world, "/followers/leaderboard", **params)["items"]
        return [(i["rank"], i["username"]) for i in items]

    assert ranked(q="@CREATOR") == [(1, "creator_amy")]
    assert ranked(q="u") == [(1, "super_sam"), (2, "lurker_lu")]  # ranks among the matches
    assert ranked(q="u", platform="tiktok") == [(1, "lurker_lu")]
    assert ranked(q="%") == []  # wildcards are literal
    listed = get(client, world, "/followers", q="u", sort="engagement_score")["items"]
    scored = [f["username"] for f in listed if f["engagement_score"] > 0]
    assert [name for _, name in ranked(q="u")] == scored
    csv = client.get(
        API + "/followers/leaderboard", params={"q": "sam", "format": "csv"},
        headers=world.headers("a_read"),
    )  # fmt: skip
    assert csv.status_code == 200 and csv.text.count("\n") == 2 and "super_sam" in csv.text


def test_activity_finds_a_username_with_or_without_at_in_any_case(
    client: TestClient, world: World
) -> None:
    values = [
        [a["interaction_value"] for a in get(client, world, "/activity", username=name)["items"]]
        for name in ("creator_amy", "@creator_amy", "@CREATOR_AMY", "Creator_Amy")
    ]
    assert values[0] == [None, "love it (day 20)", "love it (day 19)", "love it (day 18)"]
    assert values == [values[0]] * 4
    # A username that exists with nothing matching is an empty page, not a missing follower.
    assert get(client, world, "/activity", username="@creator_amy", type="share")["items"] == []


def test_activity_of_a_username_nobody_holds_is_not_found(client: TestClient, world: World) -> None:
    for name, fmt in (("@nobody_here", None), ("super_sa", None), ("@", None), ("nobody", "csv")):
        params = {"username": name} | ({"format": fmt} if fmt else {})
        response = client.get(API + "/activity", params=params, headers=world.headers("a_read"))
        assert response.status_code == 404, response.text
        error = response.json()["error"]
        assert error["code"] == "not_found"
        assert repr(name) in error["message"]
    # B's creator_amy is not A's: B's token asking for A's super_sam finds nobody.
    response = client.get(
        API + "/activity", params={"username": "super_sam"}, headers=world.headers("b_read")
    )
    assert response.status_code == 404
    operation = client.get("/openapi.json").json()["paths"][API + "/activity"]["get"]
    assert "username" in operation["responses"]["404"]["description"]


def test_cohorts(client: TestClient, world: World) -> None:
    body = get(client, world, "/cohorts")
    rows = {(r["cohort_week"], r["platform"]): r for r in body["items"]}
    assert rows[("2026-11-02", "instagram")]["super_fans"] == 1
    assert sum(r["follower_count"] for r in body["items"]) == 3  # quinn was never seen


def test_scoring_rules_read_and_change(scoring_world: World) -> None:
    with TestClient(create_app(scoring_world.engine)) as fuzz:
        got = fuzz.get(f"{API}/scoring", headers=scoring_world.headers())
        assert got.status_code == 200
        assert got.json()["weights"]["comment"] == 5
        version = got.json()["version"]
        denied = fuzz.put(f"{API}/scoring", json={"weights": {"comment": 10}},
                          headers=scoring_world.headers("a_read"))  # fmt: skip
        assert denied.status_code == 403
        changed = fuzz.put(f"{API}/scoring", json={"weights": {"comment": 10}},
                           headers=scoring_world.headers("a_write"))  # fmt: skip
        assert changed.status_code == 200
        assert changed.json()["version"] == version + 1
        bad = fuzz.put(f"{API}/scoring", json={"super_fan": 1, "active": 5},
                       headers=scoring_world.headers("a_write"))  # fmt: skip
        assert bad.status_code == 422
        # The rescore ran after the response: amy's 3 comments now weigh 10 each.
        amy = fuzz.get(f"{API}/followers/{scoring_world.ids['amy']}",
                       headers=scoring_world.headers()).json()  # fmt: skip
        assert amy["score"]["engagement_score"] == 31
        assert amy["score_explanation"]["config_version"] == version + 1
