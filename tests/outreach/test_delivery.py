"""Delivery to real receivers: a webhook receiver checking HMAC signatures, an SMTP server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from fanlens.outreach import delivery, service
from fanlens.outreach.channels import message_id
from fanlens.outreach.schemas import SettingsIn
from fanlens.workspaces.models import Workspace
from tests.fixtures.builders import create_workspace
from tests.outreach.helpers import campaign, fan, person
from tests.outreach.receivers import Inbox, WebhookReceiver


@pytest.fixture
def engine_(fresh_database_url: str) -> Iterator[Engine]:
    eng = create_engine(fresh_database_url, poolclass=NullPool)
    yield eng
    eng.dispose()


def _world(engine: Engine, channel: str, n: int = 3, **kw) -> tuple[uuid.UUID, uuid.UUID, list]:  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        ws = create_workspace(s)
        fans = [fan(s, ws, f"fan{i}") for i in range(n)]
        people = [person(s, f) for f in fans]
        if channel == "email":
            for i, p in enumerate(people):
                service.set_address(session=s, workspace_id=ws.id, person_id=p,
                                    email=f"fan{i}@example.test")  # fmt: skip
        c = campaign(s, ws, channel, **kw)
        s.commit()
        return ws.id, c.id, people


def _send(engine: Engine, ws: uuid.UUID, c: uuid.UUID, **kw) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        service.schedule(session=s, workspace_id=ws, ref=str(c), **kw)
        s.commit()


def _statuses(engine: Engine, c: uuid.UUID) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT status, count(*) FROM outreach_recipients WHERE campaign_id = :c"
                 " GROUP BY 1"), {"c": c}
        )  # fmt: skip
        return {r[0]: r[1] for r in rows}


def test_webhook_signed_once_per_recipient_with_audit(
    engine_: Engine, webhook: WebhookReceiver, outreach_settings: Inbox
) -> None:
    ws, c, people = _world(engine_, "webhook", options={"url": webhook.url})
    _send(engine_, ws, c)
    result = delivery.deliver_until_idle(c, engine=engine_)
    assert (result.sent, result.done) == (3, True)
    assert webhook.bad_signatures == 0
    assert sorted(b["person_id"] for b in webhook.accepted.values()) == sorted(map(str, people))
    assert set(webhook.per_key().values()) == {1}
    assert _statuses(engine_, c) == {"sent": 3}
    with engine_.connect() as conn:
        events = conn.execute(
            text("SELECT event, count(*) FROM outreach_events WHERE campaign_id = :c GROUP BY 1"),
            {"c": c},
        ).all()
    assert dict(events) == {"queued": 3, "sending": 3, "sent": 3, "done": 1}
    # Running again sends nothing more.
    assert delivery.deliver_until_idle(c, engine=engine_).sent == 0
    assert len(webhook.raw) == 3


def test_webhook_retries_then_succeeds_and_bad_secret_is_refused(
    engine_: Engine, webhook: WebhookReceiver, outreach_settings: Inbox
) -> None:
    ws, c, _ = _world(engine_, "webhook", n=2, options={"url": webhook.url})
    _send(engine_, ws, c)
    webhook.fail_next = 3  # three 500s: each message is retried (same key) until accepted
    result = delivery.deliver_until_idle(c, engine=engine_)
    assert result.sent == 2 and _statuses(engine_, c) == {"sent": 2}
    assert set(webhook.per_key().values()) == {1}
    with engine_.connect() as conn:
        attempts = conn.execute(
            text("SELECT sum(attempts) FROM outreach_recipients WHERE campaign_id = :c"), {"c": c}
        ).scalar()
    assert attempts == 5

    webhook.secret = "another secret"  # the receiver rejects our signature: 401, permanent
    ws2, c2, _ = _world(engine_, "webhook", n=1, options={"url": webhook.url})
    _send(engine_, ws2, c2)
    failed = delivery.deliver_until_idle(c2, engine=engine_)
    assert (failed.failed, webhook.bad_signatures) == (1, 1)
    assert _statuses(engine_, c2) == {"failed": 1}


def test_email_over_smtp_with_stable_message_ids(engine_: Engine, outreach_settings: Inbox) -> None:
    inbox = outreach_settings
    ws, c, _ = _world(engine_, "email", subject="Thanks {{ name }}!")
    _send(engine_, ws, c)
    result = delivery.deliver_until_idle(c, engine=engine_)
    assert result.sent == 3
    assert sorted(m["to"][0] for m in inbox.messages) == [
        "fan0@example.test", "fan1@example.test", "fan2@example.test"
    ]  # fmt: skip
    assert {m["subject"] for m in inbox.messages} == {
        "Thanks fan0!",
        "Thanks fan1!",
        "Thanks fan2!",
    }
    assert "Hi fan0, thanks for 35 interactions!" in {m["body"].strip() for m in inbox.messages}
    with engine_.connect() as conn:
        ids = conn.execute(
            text("SELECT id FROM outreach_recipients WHERE campaign_id = :c"), {"c": c}
        ).scalars()
        expected = {message_id(str(i)) for i in ids}
    assert set(inbox.per_message_id()) == expected


def test_email_to_an_unreachable_server_is_retried_then_failed(
    engine_: Engine, outreach_settings: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fanlens.config import settings
    from tests.helpers import free_port

    monkeypatch.setattr(settings, "outreach_smtp_port", free_port())  # nothing listens
    monkeypatch.setattr(settings, "outreach_max_attempts", 2)
    ws, c, _ = _world(engine_, "email", n=1, subject="hi")
    _send(engine_, ws, c)
    result = delivery.deliver_until_idle(c, engine=engine_)
    assert result.failed == 1 and _statuses(engine_, c) == {"failed": 1}


def test_quiet_hours_and_daily_cap_hold_messages_back(
    engine_: Engine, webhook: WebhookReceiver, outreach_settings: Inbox
) -> None:
    ws, c, _ = _world(engine_, "webhook", n=3, options={"url": webhook.url})
    with Session(engine_) as s:  # quiet all day long (but the last minute)
        service.update_settings(session=s, workspace_id=ws, changes=SettingsIn(
            time_zone="Europe/Paris", quiet_start=time(0, 0), quiet_end=time(23, 59),
            daily_caps={"webhook": 2}))  # fmt: skip
        s.commit()
    _send(engine_, ws, c)
    held = delivery.deliver(c, engine=engine_)
    if held.next_at is not None and held.sent == 0:  # (not in the last minute of the day)
        assert webhook.raw == [] and held.next_at > datetime.now(UTC)
    with Session(engine_) as s:
        service.update_settings(session=s, workspace_id=ws, changes=SettingsIn(
            quiet_start=None, quiet_end=None))  # fmt: skip
        s.commit()
    capped = delivery.deliver_until_idle(c, engine=engine_)
    assert len(webhook.accepted) == 2 and capped.next_at is not None
    assert capped.next_at - datetime.now(UTC) < timedelta(days=1, minutes=1)
    assert _statuses(engine_, c) == {"sent": 2, "queued": 1}


def test_opt_out_after_scheduling_wins_at_send_time(
    engine_: Engine, webhook: WebhookReceiver, outreach_settings: Inbox
) -> None:
    ws, c, people = _world(engine_, "webhook", n=2, options={"url": webhook.url})
    _send(engine_, ws, c)
    with Session(engine_) as s:
        service.opt_out(session=s, workspace_id=ws, person_id=people[0], by="t")
        s.commit()
    delivery.deliver_until_idle(c, engine=engine_)
    assert [b["person_id"] for b in webhook.accepted.values()] == [str(people[1])]
    assert _statuses(engine_, c) == {"sent": 1, "skipped": 1}


def test_two_campaigns_never_contact_one_person_twice(
    engine_: Engine, webhook: WebhookReceiver, outreach_settings: Inbox
) -> None:
    ws, first, people = _world(engine_, "webhook", n=2, options={"url": webhook.url})
    with Session(engine_) as s:
        second = campaign(s, s.get_one(Workspace, ws), options={"url": webhook.url})
        s.commit()
        second_id = second.id
    _send(engine_, ws, first)
    _send(engine_, ws, second_id)  # written before the first sends: both outboxes hold both
    delivery.deliver_until_idle(first, engine=engine_)
    delivery.deliver_until_idle(second_id, engine=engine_)
    assert sorted(b["person_id"] for b in webhook.accepted.values()) == sorted(map(str, people))
    assert _statuses(engine_, second_id) == {"skipped": 2}


def test_people_merged_after_scheduling_get_one_message(
    engine_: Engine, webhook: WebhookReceiver, outreach_settings: Inbox
) -> None:
    from fanlens.people import service as people_service

    ws, c, people = _world(engine_, "webhook", n=2, options={"url": webhook.url})
    _send(engine_, ws, c)  # two outbox rows: two people, for now
    with Session(engine_) as s:
        people_service.merge(session=s, workspace_id=ws, target_person_id=people[0],
                             source_person_id=people[1], merged_by="t")  # fmt: skip
        s.commit()
    delivery.deliver_until_idle(c, engine=engine_)
    assert len(webhook.accepted) == 1
    assert _statuses(engine_, c) == {"sent": 1, "skipped": 1}
