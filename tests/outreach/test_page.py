"""The outreach page over HTTP, logged in as a dashboard user."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.orm import Session

from fanlens.outreach import delivery, service
from fanlens.outreach.schemas import CampaignIn, SegmentFilters, SegmentIn
from tests.web.conftest import PASSWORD, Site, site  # noqa: F401  (fixture)
from tests.web.test_security import _client, _login

# One worker builds the served site for every test that uses it.
pytestmark = pytest.mark.xdist_group(name="site")


def _campaign(session: Session, ws: uuid.UUID, name: str) -> uuid.UUID:
    segment = service.create_segment(
        session=session, workspace_id=ws,
        data=SegmentIn(name=f"seg-{name}", filters=SegmentFilters(limit=3)),
    )  # fmt: skip
    data = CampaignIn(name=name, segment=segment.name, channel="csv",
                      template="Hello {{ name }}, {{ interactions }} interactions!")  # fmt: skip
    return service.create_campaign(session=session, workspace_id=ws, data=data).id


def test_outreach_page_previews_drafts_and_shows_statuses(site: Site) -> None:  # noqa: F811
    suffix = uuid.uuid4().hex[:6]
    with Session(site.engine) as s:
        draft = _campaign(s, site.ids["a"], f"draft-{suffix}")
        sent = _campaign(s, site.ids["a"], f"sent-{suffix}")
        foreign = _campaign(s, site.ids["b"], f"theirs-{suffix}")
        s.commit()
        service.schedule(session=s, workspace_id=site.ids["a"], ref=str(sent))
        s.commit()
    delivery.deliver_until_idle(sent, engine=site.engine)
    with _client(site) as client:
        assert client.get("/analytics/outreach").status_code == 303  # login first
        assert _login(client, "amy", PASSWORD).status_code == 303
        page = client.get("/analytics/outreach")
        assert page.status_code == 200
        assert 'href="/analytics/outreach"' in page.text  # in the nav
        assert f"draft-{suffix}" in page.text and f"theirs-{suffix}" not in page.text
        preview = client.get(f"/analytics/outreach?campaign={draft}")
        assert preview.status_code == 200 and 'id="preview"' in preview.text
        # The same top three people just got the sent campaign: the cooldown leaves them out.
        assert preview.text.count("cooldown: contacted") == 3
        statuses = client.get(f"/analytics/outreach?campaign={sent}")
        assert 'id="recipients"' in statuses.text and statuses.text.count(">sent</span>") == 3
        assert client.get(f"/analytics/outreach?campaign={foreign}").status_code == 404
        assert client.get("/analytics/outreach?campaign=nope").status_code == 404
