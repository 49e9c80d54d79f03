"""The Live page, the overview's live counter and a person's page, in Chromium over the served
site: a comment POSTed through the ingest API appears without a reload; one of another workspace,
or on a person's page one by someone else, never does.

Workspace "live" (user "liv") is this test's own, so the other page tests' numbers stay put."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session

from fanlens.auth import service as tokens
from fanlens.people import service as people
from fanlens.users import service as users
from fanlens.workspaces import service as workspace_service
from tests.web.conftest import API, PASSWORD, Site, login

pytestmark = pytest.mark.xdist_group(name="site")  # one worker builds the served site


@pytest.fixture(scope="module")
def live_site(site: Site) -> dict[str, str]:
    with Session(site.engine) as session:
        ws = workspace_service.create(session=session, name="live")
        ws_id = str(ws.id)
        users.create(session=session, workspace_id=ws.id, username="liv", password=PASSWORD)
        mine = tokens.create(session=session, workspace_id=ws.id, name="w", scope="write").secret
        other = tokens.create(
            session=session, workspace_id=site.ids["b"], name="live-w", scope="write"
        ).secret
        session.commit()
    return {"mine": mine, "other": other, "workspace": ws_id}


@pytest.fixture
def pages(browser: Any, site: Site) -> Iterator[tuple[Any, Any, list[str]]]:
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    problems: list[str] = []
    live, overview = context.new_page(), context.new_page()
    for page in (live, overview):
        page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
        page.on(
            "console",
            lambda m: problems.append(m.text) if m.type in ("error", "warning") else None,
        )
    login(live, site.base, "liv")
    live.wait_for_url(f"{site.base}/analytics")
    yield live, overview, problems
    context.close()


def comment(text: str, fan: str = "fan") -> list[dict[str, Any]]:
    return [
        {"type": "post", "platform": "bluesky", "external_post_id": "lp-1",
         "content": {"key": "lp", "title": "Pour-over live"}, "posted_at": "2026-12-01T12:00:00Z"},
        {"type": "interaction", "platform": "bluesky", "interaction_type": "comment",
         "external_id": f"c-{uuid.uuid4().hex}", "external_post_id": "lp-1",
         "occurred_at": "2026-12-06T19:30:00Z", "text": text,
         "user": {"external_user_id": f"did:plc:{fan}", "username": f"{fan}.bsky.social"}},
    ]  # fmt: skip


def post(site: Site, token: str, records: list[dict[str, Any]]) -> None:
    response = httpx.post(
        f"{site.base}{API}/ingest", json=records, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200 and response.json()["interactions_inserted"] == 1


def test_a_new_comment_appears_live_and_is_counted_on_the_overview(
    site: Site, live_site: dict[str, str], pages: tuple[Any, Any, list[str]]
) -> None:
    live, overview, problems = pages
    live.goto(f"{site.base}/analytics/live")
    overview.goto(f"{site.base}/analytics")
    assert live.locator("nav a[aria-current=page]").inner_text() == "Live"
    live.wait_for_selector("#live-status[data-state=open]", timeout=10_000)
    overview.wait_for_function("document.querySelector('[data-live-count]') !== null")
    assert overview.locator("#live-counter [data-live-count]").inner_text() == "0"
    overview.wait_for_timeout(500)  # its stream open too

    post(site, live_site["other"], comment("from another workspace"))
    post(site, live_site["mine"], comment("so good, live!"))
    first = live.locator("#live-list tbody tr").first
    first.locator("text=so good, live!").wait_for(timeout=10_000)
    row = first.inner_text()
    assert "fan.bsky.social" in row and "Pour-over live" in row and "bluesky" in row
    assert "2026-12-06 19:30 UTC" in row and "comment" in row
    assert "from another workspace" not in live.locator("#live-list").inner_text()
    overview.wait_for_function(
        "document.querySelector('#live-counter [data-live-count]').textContent === '1'",
        timeout=10_000,
    )
    assert live.url == f"{site.base}/analytics/live"  # no reload, no navigation

    # The fan's own page, open on their timeline, gains their next comment too.
    follower = first.locator("a[href^='/analytics/followers/']").get_attribute("href")
    overview.goto(f"{site.base}{follower}")
    overview.wait_for_selector("#activity tbody[data-live-follower]")
    overview.wait_for_timeout(1000)  # its stream open
    post(site, live_site["mine"], comment("and again"))
    newest = overview.locator("#activity tbody tr").first
    newest.locator("text=and again").wait_for(timeout=10_000)
    assert "Pour-over live" in newest.inner_text()
    live.locator("#live-list tbody tr").first.locator("text=and again").wait_for(timeout=10_000)
    assert problems == []


def test_a_persons_page_gains_a_new_comment_of_any_of_their_identities(
    site: Site, live_site: dict[str, str], pages: tuple[Any, Any, list[str]]
) -> None:
    page, _, problems = pages
    post(site, live_site["mine"], comment("first words", fan="pal"))
    post(site, live_site["mine"], comment("from the alt", fan="palalt"))
    page.goto(f"{site.base}/analytics/search?q=pal.bsky.social")  # one holder: their page opens
    person_id = page.url.rsplit("/", 1)[-1]
    with Session(site.engine) as session:
        people.merge_by_handle(
            session=session,
            workspace_id=uuid.UUID(live_site["workspace"]),
            target_person_id=uuid.UUID(person_id),
            handle="palalt.bsky.social",
            platform=None,
            merged_by="test",
        )
        session.commit()
    page.goto(f"{site.base}/analytics/people/{person_id}?type=comment")
    assert page.locator("tbody[data-live-person]").count() == 0  # filtered: not live
    page.goto(f"{site.base}/analytics/people/{person_id}")
    page.wait_for_selector("#timeline tbody[data-live-person]")
    assert page.locator("#timeline tbody tr").count() == 2
    page.wait_for_timeout(1000)  # its stream open

    post(site, live_site["mine"], comment("not the same person", fan="stranger"))
    post(site, live_site["mine"], comment("the alt again, live", fan="palalt"))
    newest = page.locator("#timeline tbody tr").first
    newest.locator("text=the alt again, live").wait_for(timeout=10_000)
    row = newest.inner_text()
    assert "@palalt.bsky.social" in row and "bluesky" in row and "Pour-over live" in row
    assert "2026-12-06 19:30 UTC" in row and "comment" in row
    # The stream sends in commit order: the stranger's comment came first, so it is decided.
    assert "not the same person" not in page.locator("#timeline").inner_text()
    assert page.locator("#timeline tbody tr").count() == 3
    assert page.url == f"{site.base}/analytics/people/{person_id}"  # no reload
    assert problems == []
