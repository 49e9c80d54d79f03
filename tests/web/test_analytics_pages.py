"""The retention and insights pages in Chromium: numbers against the API's, a cell's people."""

from __future__ import annotations

import pytest

from tests.web.conftest import Site, Tab
from tests.web.test_pages import cells, charts_drawn, num

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group(name="site"),  # one worker builds the served site and the browser
]


def test_retention_page_equals_the_api_and_lists_a_cells_people(tab: Tab, site: Site) -> None:
    tab.page.goto(f"{site.base}/analytics/retention?periods=60&mode=on_or_after")
    charts_drawn(tab)
    api = site.api("/retention", periods=60, mode="on_or_after")
    for cohort in api["cohorts"]:
        row = f"#retention-table tr[data-cohort='{cohort['cohort']}']"
        shown = [num(t) for t in cells(tab, f"{row} td[data-period] a")]
        assert shown == [c["followers"] for c in cohort["cells"]], cohort["cohort"]
    assert tab.page.locator("#retention-table tbody td.incomplete").count() == len(api["cohorts"])
    busy = max(api["cohorts"], key=lambda c: c["size"])
    # a click on the heat-map's cell follows the table cell's link
    row = [c["cohort"] for c in api["cohorts"]].index(busy["cohort"])
    tab.page.evaluate(
        "([row, n]) => document.getElementById('retention-chart')"
        ".emit('plotly_click', {points: [{pointIndex: [row, n]}]})",
        [row, 1],
    )
    tab.page.wait_for_selector("#people")
    assert f"cohort={busy['cohort']}" in tab.page.url and "period=1" in tab.page.url
    people = site.api(
        "/retention/people", cohort=busy["cohort"], period=1, mode="on_or_after", limit=1000
    )["items"]
    assert len(people) == busy["cells"][1]["followers"]
    links = tab.page.locator("#people-table tbody tr td:first-child a").all_text_contents()
    assert links == [f"@{p['username'] or p['external_user_id']}" for p in people]
    tab.shot("retention")
    assert tab.problems == []


def test_insights_page_equals_the_api(tab: Tab, site: Site) -> None:
    tab.page.goto(f"{site.base}/analytics/insights?grain=month&periods=3")
    charts_drawn(tab)
    movement = site.api("/tier-movement", grain="month", periods=3)
    for p in movement["periods"]:
        row = f"#tier-movement-table tr[data-period='{p['period']}'] td"
        shown = [num(t) for t in cells(tab, row)[1:5]]
        assert shown == [p["up"], p["held"], p["down"], p["new"]]
    best = site.api("/best-time")
    for name in {c["platform"] for c in best["cells"]}:
        rows = tab.page.locator(f"#best-time-{name}-table tbody tr").count()
        assert rows == sum(1 for c in best["cells"] if c["platform"] == name)
    tab.shot("insights")
    assert tab.problems == []


def test_content_detail_shows_both_best_platform_rules(tab: Tab, site: Site) -> None:
    top = site.api("/content", limit=1)["items"][0]
    tab.page.goto(f"{site.base}/analytics/content/{top['id']}")
    best = site.api(f"/content/{top['id']}/best-platform")
    plain = tab.page.locator("#best-platform tr[data-rule=most_engagement] td").nth(1)
    assert (plain.text_content() or "").strip() == best["most_engagement"]
    assert best["most_engagement"] == top["best_platform"]  # the view's rule, documented
    normalised = tab.page.locator("#best-platform tr[data-rule=normalised] td").nth(1)
    assert (normalised.text_content() or "").strip() == (best["normalised"] or "–")


def test_links_page_renders(tab: Tab, site: Site) -> None:
    tab.page.goto(f"{site.base}/analytics/links")
    suggested = site.api("/content-links/suggestions")["items"]
    rows = tab.page.locator("#link-suggestions tbody tr").count()
    assert rows == len(suggested)
    assert tab.page.locator("nav a[aria-current=page]").text_content() == "Linking"
    assert tab.problems == []
