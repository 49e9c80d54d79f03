"""Public replies through the connector framework, to the platform simulators (real HTTP):
the simulator accepts the write and records it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from fanlens.config import settings
from fanlens.connectors import credentials
from fanlens.connectors import repository as connector_repository
from fanlens.connectors.models import Account
from fanlens.connectors.youtube import YouTubeConnector
from fanlens.kit.timeutil import utcnow
from fanlens.outreach import delivery, service
from fanlens.outreach.schemas import SegmentFilters
from fanlens.simulators.run import RunningSimulator, start_simulator
from tests.fixtures.builders import create_content, create_post, create_workspace, interact
from tests.outreach.helpers import campaign, fan


@pytest.fixture
def sims(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, RunningSimulator]]:
    monkeypatch.setattr(settings, "secret_key", SecretStr(credentials.generate_key()))
    running = {p: start_simulator(p) for p in ("youtube", "mastodon")}
    monkeypatch.setattr(settings, "youtube_base_url", running["youtube"].base_url)
    yield running
    for sim in running.values():
        sim.server.should_exit = True
        sim.thread.join(timeout=10)


def _writes(sim: RunningSimulator) -> list[dict]:  # type: ignore[type-arg]
    return list(httpx.get(f"{sim.root_url}/_sim/state").json()["writes"])


def test_youtube_reply_and_mastodon_mention(
    fresh_database_url: str, sims: dict[str, RunningSimulator]
) -> None:
    engine = create_engine(fresh_database_url, poolclass=NullPool)
    with Session(engine) as s:
        ws = create_workspace(s)
        item = create_content(s, ws)
        comment_ids = {}
        for platform in ("youtube", "mastodon"):
            post = create_post(s, item, platform=platform)
            follower = fan(s, ws, f"{platform}_fan", platform=platform)
            comment_ids[platform] = uuid.uuid4().hex
            interact(s, follower, "comment", post=post, value="love it",
                     external_id=comment_ids[platform])  # fmt: skip
        fan(s, ws, "silent", platform="youtube")  # nothing to reply to: left out
        yt = Account(workspace_id=ws.id, platform="youtube", handle="@me", external_id="UCme",
                     credentials=credentials.encrypt({"access_token": "ya29.test"}))  # fmt: skip
        md = Account(workspace_id=ws.id, platform="mastodon", handle="me", external_id="1",
                     settings={"instance_url": sims["mastodon"].root_url},
                     credentials=credentials.encrypt({"access_token": "tok"}))  # fmt: skip
        s.add_all([yt, md])
        s.flush()
        ids = {}
        for channel, acct, platform in (
            ("youtube_reply", yt, "youtube"), ("mastodon_mention", md, "mastodon")
        ):  # fmt: skip
            c = campaign(s, ws, channel, options={"account_id": str(acct.id)},
                         filters=SegmentFilters(platforms=[platform]),
                         template="Thank you {{ name }}!")  # fmt: skip
            ids[channel] = c.id
        s.commit()
        yt_campaign = service.get_campaign(session=s, workspace_id=ws.id,
                                           ref=str(ids["youtube_reply"]))  # fmt: skip
        plan = service.plan(session=s, workspace_id=ws.id, campaign=yt_campaign)
        assert [lo.reason for lo in plan.left_out] == ["no youtube comment to reply to"]
        for c_id in ids.values():
            service.schedule(session=s, workspace_id=ws.id, ref=str(c_id))
        s.commit()
        yt_id = yt.id
    for c_id in ids.values():
        assert delivery.deliver_until_idle(c_id, engine=engine).sent == 1
    with Session(engine) as s:  # comments.insert costs 50 units of YouTube's daily quota
        day = YouTubeConnector.quota_day(utcnow())
        assert connector_repository.quota_used(s, [yt_id], day=day) == {yt_id: 50}
    engine.dispose()

    assert [(w["parent_id"], w["text"]) for w in _writes(sims["youtube"])] == [
        (comment_ids["youtube"], "Thank you youtube_fan!")
    ]
    toots = _writes(sims["mastodon"])
    assert [(w["in_reply_to_id"], w["text"]) for w in toots] == [
        (comment_ids["mastodon"], "@mastodon_fan Thank you mastodon_fan!")
    ]
    assert toots[0]["idempotency_key"]  # the outbox row's id: a resend posts nothing new
