"""The dashboard in Chromium: every page, its numbers against the API's, clicks, filters, CSV."""

from __future__ import annotations

import re
import uuid
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from fanlens.sentiment.models import SentimentAlert
from tests.web.conftest import Site, Tab

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group(name="site"),  # one worker builds the served site and the browser
]


def num(text: str) -> float:
    """A number as a page shows it: '1,234', '20.63 %', '× 5'."""
    cleaned = re.sub(r"[^0-9.\-]", "", text)
    return float(cleaned) if cleaned else float("nan")


def cells(tab: Tab, selector: str) -> list[str]:
    return [t.strip() for t in tab.page.locator(selector).all_text_contents()]


def charts_drawn(tab: Tab) -> None:
    count = tab.page.locator(".chart[data-chart]").count()
    if count:
        tab.page.wait_for_function(
            f"document.querySelectorAll('.chart[data-drawn]').length === {count}"
        )


def test_overview_numbers_equal_the_api(tab: Tab, site: Site) -> None:
    tab.page.goto(f"{site.base}/analytics")
    charts_drawn(tab)
    api = site.api("/overview")
    for key in ("followers", "interactions", "posts", "views", "engagement"):
        shown = tab.page.locator(f"[data-kpi={key}]").text_content() or ""
        assert num(shown) == api["totals"][key], key
    for row in api["platforms"]:
        shown = cells(tab, f"#platform-totals tr[data-platform={row['platform']}] td")
        assert num(shown[-1]) == row["interactions"] and num(shown[-2]) == row["followers"]
    for tier in api["tiers"]:
        shown = (
            tab.page.locator(f"#tier-table tr[data-tier={tier['tier']}] td").last.text_content()
            or ""
        )
        assert num(shown) == tier["followers"]
    leaders = site.api("/followers/leaderboard", limit=10)["items"]
    shown_fans = tab.page.locator("#top-fans tbody tr td:nth-child(4)").all_text_contents()
    assert [num(s) for s in shown_fans] == [f["engagement_score"] for f in leaders]
    assert sum(t["followers"] for t in api["tiers"]) == api["totals"]["followers"]
    tab.shot("overview")
    assert tab.problems == []


def test_overview_lists_negative_spikes_like_the_api(tab: Tab, site: Site) -> None:
    top = site.api("/content", limit=1)["items"][0]
    with Session(site.engine) as session:
        session.add(
            SentimentAlert(
                workspace_id=site.ids["a"], content_id=uuid.UUID(top["id"]), day=date(2026, 11, 3),
                negative_count=12, comment_count=15, negative_share=Decimal("0.8"),
                baseline_share=Decimal("0.2"),
            )
        )  # fmt: skip
        session.commit()
    tab.page.goto(f"{site.base}/analytics")
    [spike] = [a for a in site.api("/sentiment/alerts") if a["content_id"] == top["id"]]
    row = tab.page.locator("#spikes tbody tr", has_text=top["title"])
    assert num(row.locator("td").nth(2).text_content() or "") == spike["negative_count"]
    assert row.locator("a").get_attribute("href") == f"/analytics/content/{top['id']}"
    assert tab.problems == []


def test_content_catalog_equals_the_api_and_filters(tab: Tab, site: Site) -> None:
    tab.page.goto(f"{site.base}/analytics/content")
    api = site.api("/content", limit=50)["items"]
    ids = tab.page.locator("#content-table tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.id)"
    )
    assert ids == [c["id"] for c in api]
    shown = cells(tab, "#content-table td[data-col=total_engagement]")
    assert [num(s) for s in shown] == [c["total_engagement"] for c in api]
    tab.shot("content")

    # Sort by comments with the column header, then filter to one platform with the form.
    tab.page.click("#content-table thead a:has-text('Comments')")
    by_comments = site.api("/content", sort="total_comments", limit=50)["items"]
    shown = cells(tab, "#content-table td[data-col=total_comments]")
    assert [num(s) for s in shown] == [c["total_comments"] or 0 for c in by_comments]
    platform = api[0]["platforms"][0]
    tab.page.select_option("select[name=platform]", platform)
    tab.page.click("form.filters button[type=submit]")
    tab.page.wait_for_url(re.compile(f"platform={platform}"))
    filtered = site.api("/content", platform=platform, sort="total_comments", limit=50)["items"]
    rows = tab.page.locator("#content-table tbody tr")
    assert rows.count() == len(filtered) and 0 < len(filtered) <= len(api)
    assert tab.problems == []


def test_content_detail_equals_the_api(tab: Tab, site: Site) -> None:
    top = site.api("/content", limit=1)["items"][0]
    tab.page.goto(f"{site.base}/analytics/content")
    tab.page.click(f"#content-table tr[data-id='{top['id']}'] a")
    tab.page.wait_for_url(f"{site.base}/analytics/content/{top['id']}")
    charts_drawn(tab)
    detail = site.api(f"/content/{top['id']}")
    assert (
        num(tab.page.locator("[data-kpi=total_engagement]").text_content() or "")
        == (detail["total_engagement"])
    )
    for i, platform in enumerate(detail["by_platform"]):
        for metric in ("likes", "comments", "engagement"):
            shown = tab.page.locator(f"#platform-metrics tr[data-metric={metric}] td").nth(i)
            assert (
                num(shown.text_content() or "") == (platform[metric] or 0)
                or platform[metric] is None
            )
    day_totals = tab.page.locator("#day-table tbody tr td:nth-child(2)").all_text_contents()
    assert [num(t) for t in day_totals] == [d["total"] for d in detail["interactions_per_day"]]
    commenters = tab.page.locator("#top-commenters tbody tr td:nth-child(3)").all_text_contents()
    assert [num(c) for c in commenters] == [c["comment_count"] for c in detail["top_commenters"]]
    tab.shot("content_detail")
    assert tab.problems == []


def test_comment_sentiment_shown_and_corrected_on_the_page(tab: Tab, site: Site) -> None:
    top = site.api("/content", sort="total_comments", limit=1)["items"][0]
    tab.page.goto(f"{site.base}/analytics/content/{top['id']}")
    summary = site.api(f"/sentiment/content/{top['id']}")
    assert summary["total"] > 0
    for label in ("positive", "neutral", "negative"):
        shown = tab.page.locator(f"#sentiment-summary [data-kpi={label}]").text_content() or ""
        assert num(shown) == summary[label], label
    first = tab.page.locator("#comments li").first
    comment_id = first.get_attribute("data-comment")
    before = site.api(f"/sentiment/comments/{comment_id}")
    assert first.locator("[data-label]").get_attribute("data-label") == before["label"]
    wanted = "negative" if before["label"] != "negative" else "positive"
    first.locator("select[name=label]").select_option(wanted)
    first.locator("button[type=submit]").click()
    tab.page.wait_for_url(f"{site.base}/analytics/content/{top['id']}")
    after = site.api(f"/sentiment/comments/{comment_id}")
    assert (after["label"], after["corrected_label"]) == (wanted, wanted)
    assert (
        after["corrected_by"] == "user:amy" and after["analyser_label"] == before["analyser_label"]
    )
    shown = tab.page.locator(f"#comments li[data-comment='{comment_id}'] [data-label]")
    assert shown.get_attribute("data-label") == wanted
    tab.shot("content_detail_sentiment")
    assert tab.problems == []


def test_leaderboard_click_through_to_profile(tab: Tab, site: Site) -> None:
    tab.page.goto(f"{site.base}/analytics/followers")
    charts_drawn(tab)
    leaders = site.api("/followers/leaderboard", limit=10)["items"]
    shown = tab.page.locator("#leaderboard tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.id)"
    )
    assert shown == [f["follower_id"] for f in leaders]
    tab.shot("followers")
    tab.page.click("#leaderboard tbody tr:first-child a")
    first = leaders[0]
    tab.page.wait_for_url(f"{site.base}/analytics/followers/{first['follower_id']}")
    charts_drawn(tab)
    detail = site.api(f"/followers/{first['follower_id']}")
    assert (
        num(tab.page.locator("#score").text_content() or "") == detail["score_explanation"]["score"]
    )
    points = tab.page.locator("#explanation tbody tr td:nth-child(5)").all_text_contents()
    assert [num(p) for p in points] == [
        line["points"] for line in detail["score_explanation"]["lines"]
    ]
    assert tab.page.locator("#history-table tbody tr").count() == len(detail["tier_history"])
    assert tab.page.locator("#activity tbody tr").count() == min(
        25,
        len(site.api(f"/followers/{first['follower_id']}", activity_limit=25)["activity"]["items"]),
    )
    assert (first["username"] or "") in tab.page.locator("h1").text_content() or ""
    tab.shot("follower")
    assert tab.problems == []


def test_follower_filters_and_search(tab: Tab, site: Site) -> None:
    tab.page.goto(f"{site.base}/analytics/followers")
    tab.page.select_option("select[name=tier]", "lurker")
    tab.page.click("form.filters button[type=submit]")
    tab.page.wait_for_url(re.compile("tier=lurker"))
    expected = site.api("/followers", tier="lurker", limit=50)["items"]
    rows = tab.page.locator("#followers-table tbody tr")
    assert rows.count() == len(expected) > 0
    assert set(cells(tab, "#followers-table tbody td:nth-child(4)")) == {"Lurker"}
    name = expected[0]["username"]
    tab.page.fill("form.filters input[name=q]", f"@{name}")
    tab.page.click("form.filters button[type=submit]")
    tab.page.wait_for_url(re.compile("q="))
    found = site.api("/followers", tier="lurker", q=name)["items"]
    ids = tab.page.locator("#followers-table tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.id)"
    )
    assert ids == [f["id"] for f in found] and expected[0]["id"] in ids
    assert tab.problems == []


def test_csv_downloads_equal_the_api_exports(tab: Tab, site: Site) -> None:
    tab.page.goto(f"{site.base}/analytics/followers?tier=super_fan&sort=comment_count")
    with tab.page.expect_download() as download:
        tab.page.click("#followers-csv")
    text = _read(download.value.path())
    api = site.api("/followers", tier="super_fan", sort="comment_count", format="csv")
    assert text == api and text.count("\n") > 1
    tab.page.goto(f"{site.base}/analytics/content")
    with tab.page.expect_download() as download:
        tab.page.click("#content-csv")
    assert _read(download.value.path()) == site.api("/content", format="csv")


def _read(path: Any) -> str:
    with open(path, encoding="utf-8", newline="") as f:  # CSV rows end in \r\n: keep them
        return f.read()


def test_health_page_shows_syncs_and_rejects(tab: Tab, site: Site) -> None:
    tab.page.goto(f"{site.base}/analytics/health")
    api = site.api("/sync-health")
    assert len(api["accounts"]) == 2 and api["rejects"]
    bluesky = tab.page.locator("#accounts tr[data-platform=bluesky] td[data-col=api_calls]")
    assert num(bluesky.text_content() or "") == 17
    quotas = {a["platform"]: a["quota"] for a in api["accounts"]}
    assert quotas["bluesky"] is None
    assert (quotas["youtube"]["used"], quotas["youtube"]["limit"]) == (1_234, 10_000)
    quota = tab.page.locator("#quota").text_content() or ""
    assert "quota used today: 1,234 of 10,000 units" in quota
    assert tab.page.locator("#reject-groups tbody tr").count() == len(api["rejects"])
    assert "test:bad" in tab.page.locator("#reject-groups").text_content() or ""
    assert "posts" in tab.page.locator("#streams").text_content() or ""
    assert [m["metric"] for m in api["retired_metrics"]] == ["impressions"]
    retired = tab.page.locator("#retired-metrics tbody tr")
    assert retired.count() == 1 and "impressions" in (retired.text_content() or "")
    assert [(g["source"], g["ended_at"]) for g in api["live_gaps"]] == [("live:jetstream", None)]
    gap = tab.page.locator("#live-gaps tbody tr")
    assert gap.count() == 1 and "still down" in (gap.text_content() or "")
    tab.shot("health")
    assert tab.problems == []


def test_health_says_catching_up_while_a_bulk_import_backlog_waits(tab: Tab, site: Site) -> None:
    from sqlalchemy import text

    assert site.api("/sync-health")["derived_rows"] == {"waiting": 0, "status": "current"}
    with site.engine.begin() as conn:  # what a bulk import's batches leave for its catch-up
        conn.execute(
            text(
                "INSERT INTO upkeep_backlog (workspace_id, follower_id, interactions)"
                " SELECT workspace_id, id, 1200 FROM followers WHERE workspace_id = :ws LIMIT 2"
            ),
            {"ws": site.ids["a"]},
        )
    try:
        api = site.api("/sync-health")["derived_rows"]
        assert api == {"waiting": 2_400, "status": "catching up (2,400 interactions)"}
        tab.page.goto(f"{site.base}/analytics/health")
        shown = tab.page.locator("#derived-rows").text_content() or ""
        assert "catching up (2,400 interactions)" in shown
        assert tab.problems == []
    finally:
        with site.engine.begin() as conn:
            conn.execute(text("DELETE FROM upkeep_backlog"))
    tab.page.goto(f"{site.base}/analytics/health")
    assert "current" in (tab.page.locator("#derived-rows").text_content() or "")


@pytest.mark.parametrize(
    "path",
    [
        "/analytics/content/00000000-0000-0000-0000-000000000000",
        "/analytics/followers/not-a-uuid",
        "/analytics/nothing-here",
        "/analytics/followers/{foreign_follower}",
        "/analytics/content/{foreign_content}",
    ],
)
def test_unknown_and_foreign_ids_are_404_pages(tab: Tab, site: Site, path: str) -> None:
    foreign = _foreign_ids(site)
    response = tab.page.goto(site.base + path.format(**foreign))
    assert response is not None and response.status == 404
    assert "Not found" in tab.page.locator("h1").text_content() or ""
    if path.endswith("{foreign_follower}"):
        tab.shot("not_found")


def _foreign_ids(site: Site) -> dict[str, Any]:
    from sqlalchemy import text

    with site.engine.connect() as conn:
        follower = conn.execute(
            text("SELECT id FROM followers WHERE workspace_id = :b LIMIT 1"), {"b": site.ids["b"]}
        ).scalar_one()
        content = conn.execute(
            text("SELECT id FROM content_items WHERE workspace_id = :b LIMIT 1"),
            {"b": site.ids["b"]},
        ).scalar_one()
    return {"foreign_follower": follower, "foreign_content": content}


def test_login_page_and_logout(browser: Any, site: Site) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.goto(f"{site.base}/analytics/followers?tier=active")
    assert "/login?next=" in page.url
    page.screenshot(path=str(_artifact("login")), full_page=True)
    page.fill("input[name=username]", "amy")
    page.fill("input[name=password]", "correct horse battery")
    page.click("button[type=submit]")
    page.wait_for_url(f"{site.base}/analytics/followers?tier=active")
    page.click("form.logout button")
    page.wait_for_url(re.compile("/login"))
    page.goto(f"{site.base}/analytics")
    assert "/login" in page.url
    context.close()


def _artifact(name: str) -> Any:
    from tests.web.conftest import ARTIFACTS

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / f"{name}.png"
