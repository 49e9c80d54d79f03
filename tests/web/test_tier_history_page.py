"""The follower page over a real server: the tier chart is the behaviour history, dated at the
interactions; a new scoring config's move is listed apart, marked as new rules."""

from __future__ import annotations

import html
import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from fanlens.audience.models import Follower
from fanlens.interactions.ingest import ingest_records
from fanlens.scoring import service as scoring
from fanlens.scoring.schemas import ScoringConfigChange
from fanlens.users import service as users
from fanlens.workspaces import service as workspaces
from tests.web.conftest import PASSWORD, Site

# One worker builds the served site for every test that uses it.
pytestmark = pytest.mark.xdist_group(name="site")


START = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)


def _follower_page(site: Site, username: str, follower_id: uuid.UUID) -> str:
    with httpx.Client(base_url=site.base, timeout=60) as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
        assert token
        form = {"username": username, "password": PASSWORD, "csrf_token": token.group(1)}
        assert client.post("/login", data=form).status_code in (200, 303)
        page = client.get(f"/analytics/followers/{follower_id}")
    assert page.status_code == 200
    return page.text


def _chart(page: str) -> dict[str, Any]:
    spec = re.search(r'id="history-chart" data-chart=\'([^\']+)\'', page)
    assert spec
    chart: dict[str, Any] = json.loads(html.unescape(spec.group(1)))
    return chart


def _comment(n: int, at: datetime | None, kind: str = "comment") -> dict[str, Any]:
    record: dict[str, Any] = {
        "type": "interaction",
        "platform": "tiktok",
        "interaction_type": kind,
        "external_id": f"{kind}{n}",
        "user": {"external_user_id": "fan", "username": "fan"},
    }
    if at is not None:
        record["occurred_at"] = at.isoformat()
    return record


def test_follower_page_charts_behaviour_and_lists_new_rules_apart(site: Site) -> None:
    # 3 comments a week apart (5, 10, 15 points: inactive, then lurker at the second), then
    # comments weigh 1: the follower falls back to inactive by the rules, not by behaviour.
    times = [START + timedelta(weeks=n) for n in range(3)]
    with Session(site.engine) as session:
        ws = workspaces.create(session=session, name="tier-page")
        users.create(session=session, workspace_id=ws.id, username="tina", password=PASSWORD)
        records = [_comment(n, at) for n, at in enumerate(times)]
        ingest_records(session, workspace_id=ws.id, records=records, source="test")
        scoring.update_config(
            session=session,
            workspace_id=ws.id,
            change=ScoringConfigChange(weights={"comment": Decimal(1)}),
        )
        fan_id = session.scalars(select(Follower.id).where(Follower.workspace_id == ws.id)).one()
        session.commit()

    page = _follower_page(site, "tina", fan_id)
    chart = _chart(page)
    # Under the rules in force (comments 1) three comments never reach lurker: one row.
    assert [datetime.fromisoformat(x) for x in chart["x"]] == [times[0]]
    assert chart["labels"] == ["inactive"]
    kinds = re.findall(r'<tr data-kind="(\w+)">', page)
    assert sorted(kinds) == ["behaviour", "config"]
    assert 'id="history-config"' in page and "new rules" in page


def test_follower_page_lists_a_change_known_only_by_a_date_apart(site: Site) -> None:
    # Two dated shares (10, 20 points: lurker at the first), then 90 likes without a platform
    # time (110: active, by the time fanlens saw them).
    with Session(site.engine) as session:
        ws = workspaces.create(session=session, name="tier-page-observed")
        users.create(session=session, workspace_id=ws.id, username="otto", password=PASSWORD)
        records = [_comment(n, START + timedelta(days=n), "share") for n in range(2)]
        records += [_comment(n, None, "like") for n in range(90)]
        ingest_records(session, workspace_id=ws.id, records=records, source="test")
        fan_id = session.scalars(select(Follower.id).where(Follower.workspace_id == ws.id)).one()
        session.commit()
    page = _follower_page(site, "otto", fan_id)
    chart = _chart(page)
    assert [datetime.fromisoformat(x) for x in chart["x"]] == [START]
    assert chart["labels"] == ["lurker"]
    observed = re.search(r'id="history-observed">(.*?)</p>', page, re.S)
    assert observed and "by " in observed.group(1) and "active" in observed.group(1).lower()
    assert page.count("<tr data-kind=") == 2
