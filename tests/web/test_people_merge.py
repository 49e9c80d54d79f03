"""In Chromium: merge a suggestion from the people page, see the merged person, unmerge it.
(Here, not in tests/people: one Playwright per test process, the one of tests/web/conftest.py.)"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.people.page_world import PeopleWorld, build
from tests.web.conftest import ARTIFACTS, PASSWORD, Site, login

pytestmark = pytest.mark.xdist_group(name="site")


@pytest.fixture
def world(site: Site) -> PeopleWorld:
    return build(site)


@pytest.fixture
def page(browser: Any, site: Site, world: PeopleWorld) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    tab = context.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda e: problems.append(str(e)))
    tab.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    login(tab, site.base, world.writer, PASSWORD)
    tab.wait_for_url(f"{site.base}/analytics")
    yield tab
    context.close()
    assert problems == []


def test_merge_a_suggestion_then_unmerge_it(page: Any, site: Site, world: PeopleWorld) -> None:
    vik = world.suggestion(site, "yt-vik", "tt-vik")
    apart = {world.person_of(site, "yt-vik"), world.person_of(site, "tt-vik")}
    assert len(apart) == 2
    page.goto(f"{site.base}/analytics/people")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "people-suggestions.png"), full_page=True)
    row = page.locator(f"#suggestions tr[data-suggestion='{vik.id}']")
    assert "same handle @vik_k" in row.inner_text()
    row.get_by_role("button", name="Merge").click()

    page.wait_for_url("**/analytics/people/*?done=merged")
    assert "one person now" in page.locator("#notice").inner_text()
    assert page.locator("#identities tbody tr").count() == 2
    assert world.person_of(site, "yt-vik") == world.person_of(site, "tt-vik")
    assert world.suggestion(site, "yt-vik", "tt-vik").status == "merged"
    page.screenshot(path=str(ARTIFACTS / "person-merged.png"), full_page=True)

    page.locator("#merges").get_by_role("button", name="Unmerge").click()
    page.wait_for_url("**/analytics/people/*?done=unmerged")
    assert "moved back" in page.locator("#notice").inner_text()
    assert page.locator("#identities tbody tr").count() == 1
    assert page.locator("#merges").get_by_role("button", name="Unmerge").count() == 0
    assert {world.person_of(site, "yt-vik"), world.person_of(site, "tt-vik")} == apart
    # Undone by a person: the pair is not suggested or merged again.
    assert world.suggestion(site, "yt-vik", "tt-vik").status == "rejected"
    page.goto(f"{site.base}/analytics/people")
    assert page.locator(f"#suggestions tr[data-suggestion='{vik.id}']").count() == 0
