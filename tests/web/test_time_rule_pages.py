"""The one time rule on the pages, over HTTP (no browser): observed-time interactions are shown
as "seen by DATE" with their content's title, and as a time-unknown part next to the series."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import text

from tests.web.conftest import PASSWORD, Site
from tests.web.test_security import _client, _login

# One worker builds the served site for every test that uses it.
pytestmark = pytest.mark.xdist_group(name="site")


def _observed(site: Site) -> list[dict[str, Any]]:
    with site.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT i.follower_id, i.content_id, i.occurred_at, i.platform, c.title, "
                "(SELECT count(*) FROM follower_interactions e WHERE e.follower_id = i.follower_id "
                " AND e.time_precision = 'exact') AS exact_rows "
                "FROM follower_interactions i LEFT JOIN content_items c ON c.id = i.content_id "
                "WHERE i.workspace_id = :ws AND i.time_precision = 'observed' ORDER BY i.id"
            ),
            {"ws": site.ids["a"]},
        ).all()
    return [r._asdict() for r in rows]


def _page(site: Site, path: str) -> str:
    with _client(site) as client:
        _login(client, "amy", PASSWORD)
        response = client.get(path)
    assert response.status_code == 200, response.text[:300]
    return response.text


def test_follower_page_shows_observed_rows_as_seen_by_with_their_title(site: Site) -> None:
    observed = _observed(site)
    only = next(r for r in observed if r["exact_rows"] == 0 and r["content_id"] is not None)
    api = site.api(f"/followers/{only['follower_id']}")
    assert (api["profile"]["first_seen_at"], api["profile"]["last_seen_at"]) == (None, None)
    page = _page(site, f"/analytics/followers/{only['follower_id']}")

    seen = only["occurred_at"].date().isoformat()
    assert re.search(r'id="last-seen">time unknown\s*<span[^>]*>· seen by ' + seen, page)
    rows = re.findall(
        r'<tr data-precision="observed"><td><span[^>]*>seen by ([0-9-]+)</span>', page
    )
    assert rows and set(rows) == {seen}
    assert f">{only['title']}</a>" in page


def test_overview_and_content_pages_show_the_time_unknown_part(site: Site) -> None:
    observed = _observed(site)
    per_platform = Counter(r["platform"] for r in observed)
    overview = site.api("/overview")
    assert {t["platform"]: t["interactions"] for t in overview["time_unknown"]} == per_platform
    page = _page(site, "/analytics")
    for platform, n in per_platform.items():
        assert f'<span data-platform="{platform}">{platform} {n:,}</span>' in page

    item, n = Counter(r["content_id"] for r in observed if r["content_id"]).most_common(1)[0]
    detail = site.api(f"/content/{item}")
    assert detail["interactions_time_unknown"]["total"] == n
    assert sum(d["total"] for d in detail["interactions_per_day"]) + n == sum(
        1 for _ in _item_rows(site, item)
    )
    assert f"on no day): {n:,}" in _page(site, f"/analytics/content/{item}")


def _item_rows(site: Site, content_id: Any) -> list[Any]:
    with site.engine.connect() as conn:
        return conn.execute(
            text("SELECT id FROM follower_interactions WHERE content_id = :c"), {"c": content_id}
        ).all()
