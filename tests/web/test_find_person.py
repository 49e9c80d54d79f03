"""Finding a person from the nav's search box and reading what they did, over the served site.

Workspace "finder" holds creator_amy on tiktok and Creator_Amy on instagram, merged into one
person, with comments and likes at times relative to now (so "Last 7 days" has something to
show), an old comment, and a comment whose time the platform did not give (observed: fanlens saw
it today, which must never count as acting today). creator_bob and creator_bea share a prefix.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from fanlens.analytics import service as analytics
from fanlens.auth import service as tokens
from fanlens.interactions.ingest import ingest_records
from fanlens.kit.pagination import MAX_LIMIT
from fanlens.people import service as people
from fanlens.users import service as users
from fanlens.workspaces import service as workspace_service
from tests.web.conftest import PASSWORD, Site, Tab, login
from tests.web.test_security import _client, _login

pytestmark = pytest.mark.xdist_group(name="site")  # one worker builds the served site

AMY = {"tiktok": "creator_amy", "instagram": "Creator_Amy"}
DAYS_AGO = {  # (platform, type, text): days before now; None: no time given (observed)
    ("tiktok", "comment", "tt one day"): 1,
    ("instagram", "comment", "ig three days"): 3,
    ("tiktok", "like", None): 2,
    ("instagram", "comment", "ig ten days"): 10,
    ("tiktok", "comment", "tt twenty days"): 20,
    ("instagram", "comment", "ig seen today, time unknown"): None,
}


def _records(now: datetime) -> list[dict[str, Any]]:
    posts = [
        {"type": "post", "platform": p, "external_post_id": f"{p}-1",
         "content": {"key": "brew", "title": "Cold brew"}, "posted_at": "2026-10-01T12:00:00Z"}
        for p in AMY
    ]  # fmt: skip
    acts = []
    for n, ((platform, kind, said), days) in enumerate(DAYS_AGO.items()):
        act: dict[str, Any] = {
            "type": "interaction", "platform": platform, "interaction_type": kind,
            "external_post_id": f"{platform}-1", "external_id": f"x{n}",
            "user": {"external_user_id": f"amy-{platform}", "username": AMY[platform]},
        }  # fmt: skip
        if said:
            act["text"] = said
        if days is not None:
            act["occurred_at"] = (now - timedelta(days=days)).isoformat()
        acts.append(act)
    others = [
        {"type": "interaction", "platform": "tiktok", "interaction_type": "comment",
         "external_post_id": "tiktok-1", "external_id": f"o-{name}", "text": f"{name} here",
         "occurred_at": (now - timedelta(days=1)).isoformat(),
         "user": {"external_user_id": name, "username": name}}
        for name in ("creator_bob", "creator_bea")
    ]  # fmt: skip
    return posts + acts + others


@pytest.fixture(scope="module")
def finder(site: Site) -> Iterator[dict[str, Any]]:
    with Session(site.engine, expire_on_commit=False) as session:
        ws = workspace_service.create(session=session, name=f"finder-{uuid.uuid4().hex[:6]}")
        ingest_records(
            session, workspace_id=ws.id, records=_records(datetime.now(UTC)), source="test"
        )
        users.create(session=session, workspace_id=ws.id, username="finn", password=PASSWORD)
        ids = dict(
            session.execute(
                text("SELECT username, id FROM followers WHERE workspace_id = :ws"), {"ws": ws.id}
            ).all()
        )
        tt, ig = (
            people.person_of(session=session, workspace_id=ws.id, follower_id=ids[AMY[p]])
            for p in ("tiktok", "instagram")
        )
        people.merge(session=session, workspace_id=ws.id, target_person_id=tt,
                     source_person_id=ig, merged_by="test")  # fmt: skip
        session.commit()
    yield {"ws": ws.id, "amy": tt, "merged_away": ig, "followers": ids}


@pytest.fixture
def finn(site: Site, finder: dict[str, Any]) -> Iterator[httpx.Client]:
    with _client(site) as client:
        assert _login(client, "finn", PASSWORD).status_code == 303
        yield client


def _people_of(site: Site, ws: uuid.UUID, where: str, **params: Any) -> set[tuple[str, str]]:
    with site.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT f.username, pi.person_id FROM followers f "
                "JOIN person_identities pi ON pi.follower_id = f.id "
                f"WHERE f.workspace_id = :ws AND {where}"
            ),
            {"ws": ws, **params},
        ).all()
    return {(name, str(pid)) for name, pid in rows}


def test_a_handle_opens_its_person_with_or_without_at_in_any_case(
    finn: httpx.Client, finder: dict[str, Any]
) -> None:
    for typed in ("creator_amy", "@Creator_Amy", "  @CREATOR_AMY ", "creator_am"):
        response = finn.get("/analytics/search", params={"q": typed})
        assert response.status_code == 303, typed
        assert response.headers["location"] == f"/analytics/people/{finder['amy']}"
    page = finn.get(f"/analytics/people/{finder['amy']}")
    assert 'class="nav-search" role="search"' in page.text
    timeline = re.findall(r'<tr data-id="([^"]+)"', page.text)
    assert len(timeline) == len(DAYS_AGO)  # both platforms' rows on one timeline
    gone = finn.get(f"/analytics/people/{finder['merged_away']}")  # their identities moved
    assert gone.status_code == 200 and "No activity recorded." in gone.text


def test_the_search_box_suggests_handles_starting_with_what_was_typed(
    site: Site, finn: httpx.Client, finder: dict[str, Any]
) -> None:
    with site.engine.connect() as conn:
        expected = conn.execute(
            text(
                "SELECT DISTINCT lower(username) FROM followers WHERE workspace_id = :ws "
                "AND lower(username) LIKE 'creator\\_%' ORDER BY 1"
            ),
            {"ws": finder["ws"]},
        ).scalars()
        expected_handles = [f"@{name}" for name in expected]
    answer = finn.get("/analytics/search/handles", params={"q": "@CREATOR_"})
    assert answer.status_code == 200
    assert [h.lower() for h in answer.json()["handles"]] == expected_handles
    assert finn.get("/analytics/search/handles", params={"q": "%"}).json() == {"handles": []}
    assert finn.get("/analytics/search/handles", params={"q": "x" * 5000}).status_code == 200
    with _client(site) as anonymous:
        assert anonymous.get("/analytics/search/handles", params={"q": "c"}).status_code == 303


def test_several_matches_are_listed_and_none_is_said(
    site: Site, finn: httpx.Client, finder: dict[str, Any]
) -> None:
    listed = finn.get("/analytics/search", params={"q": "@CREATOR_"})
    assert listed.status_code == 200
    expected = _people_of(site, finder["ws"], "lower(f.username) LIKE 'creator\\_%'")
    assert len({pid for _, pid in expected}) == 3  # amy (two identities), bob, bea
    row = r'<tr data-person="([^"]+)"><td class="text"><a href="/analytics/followers/[^"]+">@'
    rows = re.findall(row + r"([^<]+)</a>", listed.text)
    assert {(name, pid) for pid, name in rows} == expected
    assert len(rows) == len(expected)
    for pid in {pid for _, pid in expected}:
        assert f'href="/analytics/people/{pid}"' in listed.text
    for typed in ("@nobody_at_all", "%", "_", "amy\x00", "x" * 3000):
        none = finn.get("/analytics/search", params={"q": typed})
        assert none.status_code == 200, typed
        assert "No handle in this workspace" in none.text
    empty = finn.get("/analytics/search", params={"q": "  @ "})
    assert empty.status_code == 200 and "Type a handle" in empty.text


def test_another_workspaces_handles_are_not_found(
    site: Site, finn: httpx.Client, finder: dict[str, Any]
) -> None:
    theirs = _people_of(site, site.ids["a"], "f.username IS NOT NULL")
    ours = _people_of(site, finder["ws"], "f.username IS NOT NULL")
    name = sorted({n for n, _ in theirs} - {n for n, _ in ours})[0]
    response = finn.get("/analytics/search", params={"q": name})
    assert response.status_code == 200 and "No handle in this workspace" in response.text


def _expected_comments(site: Site, person: uuid.UUID, since: str, until: str) -> list[str]:
    """What the page must list: the person's exact-time comments in the UTC days given."""
    with site.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT i.id FROM follower_interactions i "
                "JOIN person_identities pi ON pi.follower_id = i.follower_id "
                "WHERE pi.person_id = :pid AND i.interaction_type = 'comment' "
                "AND i.time_precision = 'exact' "
                "AND i.occurred_at >= CAST(:since AS date)::timestamp AT TIME ZONE 'UTC' "
                "AND i.occurred_at < (CAST(:until AS date) + 1)::timestamp AT TIME ZONE 'UTC' "
                "ORDER BY i.occurred_at DESC, i.id DESC"
            ),
            {"pid": person, "since": since, "until": until},
        ).all()
    return [str(r.id) for r in rows]


def test_filters_presets_and_the_time_rule(
    site: Site, finn: httpx.Client, finder: dict[str, Any]
) -> None:
    base = f"/analytics/people/{finder['amy']}"
    today = datetime.now(UTC).date()
    week = {"since": (today - timedelta(days=6)).isoformat(), "until": today.isoformat()}
    page = finn.get(base, params={**week, "type": "comment"})
    shown = re.findall(r'<tr data-id="([^"]+)" data-precision="exact"', page.text)
    assert shown == _expected_comments(site, finder["amy"], week["since"], week["until"])
    assert len(shown) == 2  # one per platform; not the 10-day-old one, not the observed one
    assert re.search(r'data-preset="7d" class="active" aria-current="true"', page.text)
    assert 'data-preset="30d" class="active"' not in page.text
    assert 'id="time-rule"' in page.text and 'data-precision="observed"' not in page.text
    every = finn.get(base, params={"type": "comment"})
    assert "seen by " in every.text  # without dates the observed comment shows, as seen by
    assert len(re.findall(r'data-precision="observed"', every.text)) == 1
    instagram = finn.get(base, params={"platform": "instagram", "type": "like"})
    assert "No activity matches these filters." in instagram.text
    bad = finn.get(base, params={"since": "last tuesday", "until": "2026-13-40"})
    assert bad.status_code == 200 and "so not applied: since, until" in bad.text
    odd = {"type": ("x" * 500, 200), "platform": ("\x00", 200), "cursor": ("not-a-cursor", 400)}
    for key, (value, status) in odd.items():
        assert finn.get(base, params={key: value}).status_code == status, key


def test_typing_a_handle_then_last_7_days_and_comment_answers_the_question(
    site: Site, browser: Any, finder: dict[str, Any]
) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    tab = Tab(context.new_page(), [])
    tab.page.on("pageerror", lambda e: tab.problems.append(str(e)))
    try:
        page = tab.page
        login(page, site.base, "finn")
        page.wait_for_url(f"{site.base}/analytics")
        box = page.locator("form.nav-search input[name=q]")
        box.press_sequentially("creator_b")
        page.locator("#handle-list option").nth(1).wait_for(state="attached")
        offered = page.locator("#handle-list option").evaluate_all("os => os.map(o => o.value)")
        assert sorted(offered) == ["@creator_bea", "@creator_bob"]
        page.fill("form.nav-search input[name=q]", "@Creator_Amy")
        page.press("form.nav-search input[name=q]", "Enter")
        page.wait_for_url(f"{site.base}/analytics/people/{finder['amy']}")
        page.get_by_role("link", name="Last 7 days").click()
        page.wait_for_url(re.compile(r".*since=.*"))
        page.click("nav[aria-label='Interaction type'] a[data-type=comment]")
        page.wait_for_url(re.compile(r".*type=comment.*"))
        tab.shot("person-last-7-days-comments")
        params = dict(re.findall(r"[?&](since|until)=([0-9-]+)", page.url))
        rows = page.locator("#timeline tbody tr")
        shown = rows.evaluate_all("rs => rs.map(r => r.dataset.id)")
        assert shown == _expected_comments(site, finder["amy"], params["since"], params["until"])
        assert shown and set(rows.evaluate_all("rs => rs.map(r => r.dataset.type)")) == {"comment"}
        times = page.locator("#timeline time").evaluate_all("ts => ts.map(t => t.dateTime)")
        assert len(times) == len(shown)
        now = datetime.now(UTC)
        assert all(now - datetime.fromisoformat(t) < timedelta(days=7) for t in times)
        active = page.locator("[aria-current=true]").all_inner_texts()
        assert "Last 7 days" in active and any(t.startswith("comment") for t in active)
        assert tab.problems == []
    finally:
        context.close()


def test_the_followers_search_narrows_the_leaderboard_and_the_tier_chart(
    site: Site, finn: httpx.Client, finder: dict[str, Any]
) -> None:
    with site.engine.connect() as conn:
        top = conn.execute(
            text(
                "SELECT s.follower_id FROM follower_engagement_scores s "
                "JOIN followers f ON f.id = s.follower_id WHERE f.workspace_id = :ws "
                "AND lower(f.username) LIKE '%creator\\_b%' "
                "ORDER BY s.engagement_score DESC, s.follower_id LIMIT 10"
            ),
            {"ws": finder["ws"]},
        ).all()
        tiers = conn.execute(
            text(
                "SELECT coalesce(s.engagement_tier, 'inactive'), count(*) FROM followers f "
                "LEFT JOIN follower_engagement_scores s ON s.follower_id = f.id "
                "WHERE f.workspace_id = :ws AND lower(f.username) LIKE '%creator\\_b%' "
                "GROUP BY 1"
            ),
            {"ws": finder["ws"]},
        ).all()
    page = finn.get("/analytics/followers", params={"q": "@CREATOR_B"})
    board = page.text.split('id="leaderboard"')[1].split("</table>")[0]
    assert re.findall(r'<tr data-id="([^"]+)"', board) == [str(r.follower_id) for r in top]
    assert len(top) == 2  # bob and bea, not amy
    table = page.text.split('id="tier-table"')[1].split("</table>")[0]
    shown = {t: int(n) for t, n in re.findall(r'data-tier="(\w+)">.*?<td>([\d,]+)</td>', table)}
    assert {t: n for t, n in shown.items() if n} == {t: n for t, n in tiers}
    assert 'id="filter-scope"' in page.text
    none = finn.get("/analytics/followers", params={"q": "no such name"})
    assert "No scored follower's username holds" in none.text
    chart = none.text.split('id="tier-table"')[1].split("</table>")[0]
    assert set(re.findall(r"<td>([\d,]+)</td>", chart)) == {"0"}


def test_a_common_search_caps_the_tier_counts_and_says_so(site: Site) -> None:
    """More matches than the cap: the page and GET /tiers say the counts are lower bounds; a
    narrower search gets the exact counts; the list of followers stays exact either way."""
    cap = analytics.SEARCH_COUNT_CAP
    name = f"crowd-{uuid.uuid4().hex[:6]}"
    with Session(site.engine) as session:
        ws = workspace_service.create(session=session, name=name)
        users.create(session=session, workspace_id=ws.id, username=name, password=PASSWORD)
        token = tokens.create(session=session, workspace_id=ws.id, name="t", scope="read").secret
        session.execute(
            text(
                "INSERT INTO followers (workspace_id, platform, external_user_id, username) "
                "SELECT :ws, 'tiktok', 'c' || n, 'crowd_' || n FROM generate_series(1, :n) n"
            ),
            {"ws": ws.id, "n": cap + 1},
        )
        session.commit()
    api = httpx.Client(
        base_url=f"{site.base}/api/social-analytics",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    with api, _client(site) as client:
        assert _login(client, name, PASSWORD).status_code == 303
        common = api.get("/tiers", params={"q": "crowd"}).json()
        assert (common["capped"], common["cap"]) == (True, cap)
        assert sum(t["followers"] for t in common["tiers"]) == cap + 1
        page = client.get("/analytics/followers", params={"q": "crowd"}).text
        assert 'id="tiers-capped"' in page
        table = page.split('id="tier-table"')[1].split("</table>")[0]
        assert re.findall(r'data-tier="inactive">.*?<td data-capped="true">([\d,]+)\+', table) == [
            f"{cap + 1:,}"
        ]

        # crowd_1, crowd_10..19, crowd_100..199, crowd_1000 and crowd_1001: under the cap.
        narrow = api.get("/tiers", params={"q": "crowd_1"}).json()
        assert narrow["capped"] is False
        assert {t["tier"]: t["followers"] for t in narrow["tiers"] if t["followers"]} == {
            "inactive": 113
        }
        page = client.get("/analytics/followers", params={"q": "crowd_1"}).text
        assert 'id="tiers-capped"' not in page and "data-capped" not in page
        table = page.split('id="tier-table"')[1].split("</table>")[0]
        assert re.findall(r'data-tier="inactive">.*?<td>([\d,]+)</td>', table) == ["113"]

        listed, cursor = 0, None
        while True:
            params = {"q": "crowd", "limit": MAX_LIMIT, **({"cursor": cursor} if cursor else {})}
            got = api.get("/followers", params=params).json()
            listed, cursor = listed + len(got["items"]), got["next_cursor"]
            if not cursor:
                break
        assert listed == cap + 1
