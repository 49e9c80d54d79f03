"""The follower page over a real server: the tier chart is the behaviour history, dated at the
interactions; a new scoring config's move is listed apart, marked as new rules."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from fanlens.audience.models import Follower
from fanlens.interactions.ingest import ingest_records
from fanlens.scoring import service as scoring
from fanlens.scoring.schemas import ScoringConfigChange
from fanlens.users import service as users
from fanlens.workspaces import service as workspaces
from tests.web.conftest import PASSWORD, Site

START = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)


def test_follower_page_charts_behaviour_and_lists_new_rules_apart(site: Site) -> None:
    # 3 comments a week apart (5, 10, 15 points: inactive, then lurker at the second), then
    # comments weigh 1: the follower falls back to inactive by the rules, not by behaviour.
    times = [START + timedelta(weeks=n) for n in range(3)]
    with Session(site.engine) as session:
        ws = workspaces.create(session=session, name="tier-page")
        users.create(session=session, workspace_id=ws.id, username="tina", password=PASSWORD)
        records = [
            {
                "type": "interaction",
                "platform": "tiktok",
                "interaction_type": "comment",
                "external_id": f"c{n}",
                "occurred_at": at.isoformat(),
                "user": {"external_user_id": "fan", "username": "fan"},
            }
            for n, at in enumerate(times)
        ]
        ingest_records(session, workspace_id=ws.id, records=records, source="test")
        scoring.update_config(
            session=session,
            workspace_id=ws.id,
            change=ScoringConfigChange(weights={"comment": Decimal(1)}),
        )
        fan_id = session.scalars(select(Follower.id).where(Follower.workspace_id == ws.id)).one()
        session.commit()

    with httpx.Client(base_url=site.base, timeout=60) as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
        assert token
        form = {"username": "tina", "password": PASSWORD, "csrf_token": token.group(1)}
        assert client.post("/login", data=form).status_code in (200, 303)
        page = client.get(f"/analytics/followers/{fan_id}")
    assert page.status_code == 200
    spec = re.search(r'id="history-chart" data-chart=\'([^\']+)\'', page.text)
    assert spec
    chart = json.loads(html.unescape(spec.group(1)))
    # Under the rules in force (comments 1) three comments never reach lurker: one row.
    assert [datetime.fromisoformat(x) for x in chart["x"]] == [times[0]]
    assert chart["labels"] == ["inactive"]
    kinds = re.findall(r'<tr data-kind="(\w+)">', page.text)
    assert sorted(kinds) == ["behaviour", "config"]
    assert 'id="history-config"' in page.text and "new rules" in page.text
