"""The bluesky_reply channel over real HTTP to the Bluesky simulator (AppView + PDS): a login with
the app password, then one reply record per recipient with the thread's reply refs."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from fanlens.config import settings
from fanlens.connectors import credentials
from fanlens.connectors.base import AccountConfig
from fanlens.connectors.bluesky import BlueskyConnector, record_key
from fanlens.connectors.models import Account
from fanlens.kit.http import HttpOptions
from fanlens.outreach import delivery, service
from fanlens.outreach.models import OutreachRecipient
from fanlens.outreach.schemas import SegmentFilters
from fanlens.simulators.ids import BLUESKY_CREATOR_DID, BLUESKY_CREATOR_HANDLE, bluesky_cid
from fanlens.simulators.run import RunningSimulator, start_simulator
from tests.fixtures.builders import create_content, create_post, create_workspace, interact
from tests.outreach.helpers import campaign, fan

APP_PASSWORD = "abcd-efgh-ijkl-mnop"
CREATOR_POST = f"at://{BLUESKY_CREATOR_DID}/app.bsky.feed.post/3kcreatorpost"
FANS = ("ana", "ben")


def fan_post(name: str) -> str:
    return f"at://did:plc:{name}/app.bsky.feed.post/3kreplyof{name}"


def world() -> list[dict[str, Any]]:
    """The creator's post and one reply under it by each fan, as the AppView serves them."""
    records: list[dict[str, Any]] = [
        {"type": "post", "platform": "bluesky", "external_post_id": CREATOR_POST,
         "caption": "Cold brew", "posted_at": "2026-11-01T10:00:00Z"},
    ]  # fmt: skip
    for name in FANS:
        records.append(
            {"type": "interaction", "platform": "bluesky", "interaction_type": "comment",
             "user": {"external_user_id": f"did:plc:{name}", "username": name},
             "external_post_id": CREATOR_POST, "external_id": fan_post(name),
             "text": "love it", "occurred_at": "2026-11-02T10:00:00Z"}
        )  # fmt: skip
    return records


@pytest.fixture
def sim(monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningSimulator]:
    monkeypatch.setattr(settings, "secret_key", SecretStr(credentials.generate_key()))
    with start_simulator("bluesky", world(), app_password=APP_PASSWORD) as running:
        monkeypatch.setattr(settings, "bluesky_base_url", running.base_url)
        monkeypatch.setattr(settings, "bluesky_pds_url", running.root_url)
        yield running


def _writes(sim: RunningSimulator) -> list[dict[str, Any]]:
    return list(httpx.get(f"{sim.root_url}/_sim/state").json()["writes"])


def _send_campaign(database_url: str, password: str) -> list[OutreachRecipient]:
    engine = create_engine(database_url, poolclass=NullPool)
    with Session(engine) as s:
        ws = create_workspace(s)
        post = create_post(s, create_content(s, ws), platform="bluesky",
                           external_post_id=CREATOR_POST)  # fmt: skip
        for name in FANS:
            follower = fan(s, ws, name, platform="bluesky", external_user_id=f"did:plc:{name}")
            interact(s, follower, "comment", post=post, value="love it",
                     external_id=fan_post(name))  # fmt: skip
        account = Account(workspace_id=ws.id, platform="bluesky", handle=BLUESKY_CREATOR_HANDLE,
                          external_id=BLUESKY_CREATOR_DID,
                          credentials=credentials.encrypt({"app_password": password}))  # fmt: skip
        s.add(account)
        s.flush()
        c = campaign(s, ws, "bluesky_reply", options={"account_id": str(account.id)},
                     filters=SegmentFilters(platforms=["bluesky"]),
                     template="Thank you {{ name }}!")  # fmt: skip
        campaign_id = c.id
        s.commit()
        service.schedule(session=s, workspace_id=ws.id, ref=str(campaign_id))
        s.commit()
    delivery.deliver_until_idle(campaign_id, engine=engine)
    with Session(engine) as s:
        rows = s.scalars(
            select(OutreachRecipient).where(OutreachRecipient.campaign_id == campaign_id)
        )
        found = list(rows)
    engine.dispose()
    return found


def test_one_reply_per_recipient_with_reply_refs(
    fresh_database_url: str, sim: RunningSimulator
) -> None:
    recipients = _send_campaign(fresh_database_url, APP_PASSWORD)

    assert sorted(r.status for r in recipients) == ["sent", "sent"]
    writes = _writes(sim)
    root = {"uri": CREATOR_POST, "cid": bluesky_cid(CREATOR_POST)}
    assert sorted((w["record"]["text"], w["record"]["reply"]["parent"]["uri"]) for w in writes) == [
        (f"Thank you {name}!", fan_post(name)) for name in FANS
    ]
    for w in writes:
        parent = w["record"]["reply"]["parent"]
        assert parent["cid"] == bluesky_cid(parent["uri"])
        assert w["record"]["reply"]["root"] == root
    # Each record key comes from its outbox row: a resend of that row would conflict.
    assert {w["rkey"] for w in writes} == {record_key(str(r.id)) for r in recipients}


def test_resend_with_the_same_key_posts_once(sim: RunningSimulator) -> None:
    config = AccountConfig(
        id=uuid.uuid4(), platform="bluesky", handle=BLUESKY_CREATOR_HANDLE,
        external_id=BLUESKY_CREATOR_DID, settings={},
        credentials={"app_password": APP_PASSWORD},
    )  # fmt: skip
    connector = BlueskyConnector.from_account(config, HttpOptions())
    try:
        first = connector.reply(parent_id=fan_post("ana"), text="hi", idempotency_key="row-1")
        again = connector.reply(parent_id=fan_post("ana"), text="hi", idempotency_key="row-1")
        other = connector.reply(parent_id=fan_post("ben"), text="hi", idempotency_key="row-2")
    finally:
        connector.close()

    assert again == first != other
    assert [w["uri"] for w in _writes(sim)] == [first, other]
    # The second createRecord was refused (the key is taken), and the existing post looked up.
    requests = httpx.get(f"{sim.root_url}/_sim/state").json()["requests"]
    assert requests["com.atproto.repo.createRecord"] == 3
    assert requests["com.atproto.repo.getRecord"] == 1


def test_wrong_app_password_fails_the_message(
    fresh_database_url: str, sim: RunningSimulator
) -> None:
    recipients = _send_campaign(fresh_database_url, "wrong-pass-word-here")

    assert [r.status for r in recipients] == ["failed", "failed"]
    for r in recipients:
        assert "login with the app password failed" in (r.last_error or r.reason or "")
        assert "Invalid identifier or password" in (r.last_error or r.reason or "")
    assert _writes(sim) == []
