"""The people pages over HTTP, logged in as a dashboard user (no browser needed)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from fanlens.people import service
from tests.web.conftest import PASSWORD, Site, site  # noqa: F401  (fixture)
from tests.web.test_security import _client, _login

# One worker builds the served site for every test that uses it.
pytestmark = pytest.mark.xdist_group(name="site")


def test_people_pages_show_the_workspaces_people(site: Site) -> None:  # noqa: F811
    with site.engine.begin() as conn:
        other_person = conn.execute(
            text("SELECT person_id FROM person_identities WHERE workspace_id = :b LIMIT 1"),
            {"b": site.ids["b"]},
        ).scalar_one()
    with Session(site.engine) as session:
        top = service.leaderboard(session=session, workspace_id=site.ids["a"], limit=1)[0]
    with _client(site) as client:
        assert client.get("/analytics/people").status_code == 303  # login first
        assert _login(client, "amy", PASSWORD).status_code == 303
        listing = client.get("/analytics/people")
        assert listing.status_code == 200
        assert 'href="/analytics/people"' in listing.text  # in the nav
        assert f"/analytics/people/{top.person_id}" in listing.text
        page = client.get(f"/analytics/people/{top.person_id}")
        assert page.status_code == 200
        for section in ("identities", "evidence", "merges", "timeline"):
            assert f'id="{section}"' in page.text
        assert client.get(f"/analytics/people/{other_person}").status_code == 404
        assert client.get("/analytics/people/not-a-uuid").status_code == 404
