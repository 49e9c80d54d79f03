"""Delivery: drain one campaign's outbox, exactly once per message.

The protocol, one transaction per step:
1. claim — the next due `queued` row becomes `sending` (attempts + 1) and is COMMITTED before
   anything leaves the machine: the intent is on record;
2. send — through the channel, carrying the row's id (Idempotency-Key / Message-ID);
3. record — `sent`, or back to `queued` with a later next_attempt_at (transient error), or
   `failed` (permanent, or attempts exhausted); committed with its audit event.

One deliverer per campaign: it holds a session-level advisory lock on a connection of its own
for as long as it runs. PostgreSQL drops that lock when the process dies (kill -9 included), so
whoever takes the lock next knows that every `sending` row it finds was interrupted mid-send,
never still in flight. Those rows are resent with the same key where the channel makes that
safe, and failed for review where it cannot (see fanlens.outreach.channels).

Guards are re-checked at the claim (an opt-out or another campaign's contact may have happened
since the outbox was written), under a per-person advisory lock, so two campaigns cannot both
pass the cooldown for one person.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from fanlens.config import settings
from fanlens.db.engine import get_engine, unit_of_work
from fanlens.db.queue import defer
from fanlens.outreach import guards, repository, service
from fanlens.outreach.channels import (
    Channel,
    CsvChannel,
    DeliveryError,
    EmailChannel,
    Outgoing,
    WebhookChannel,
)
from fanlens.outreach.models import OutreachCampaign, OutreachRecipient
from fanlens.people import service as people_service

log = logging.getLogger(__name__)

DELIVER_TASK = "outreach_deliver"  # the task in fanlens.jobs.tasks (namespace "fanlens")


class DeliveryResult(BaseModel):
    campaign_id: uuid.UUID
    busy: bool = False  # another deliverer holds the campaign
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    recovered: int = 0
    next_at: datetime | None = None  # when to run again (retries, quiet hours, daily cap)
    done: bool = False


@dataclass(frozen=True)
class Wait:
    until: datetime
    why: str


def channel_for(campaign: OutreachCampaign, engine: Engine | None = None) -> Channel:
    if campaign.channel == "webhook":
        secret = settings.outreach_webhook_secret
        if secret is None:
            raise DeliveryError("FANLENS_OUTREACH_WEBHOOK_SECRET is not set", permanent=True)
        url = campaign.options.get("url") or settings.outreach_webhook_url
        return WebhookChannel(str(url), secret.get_secret_value())
    if campaign.channel == "email":
        return EmailChannel()
    if campaign.channel == "csv":
        return CsvChannel()
    from fanlens.outreach.replies import ReplyChannel

    return ReplyChannel(campaign, engine)


def deliver(
    campaign_id: uuid.UUID, *, engine: Engine | None = None, max_messages: int | None = None
) -> DeliveryResult:
    """Send what is due now; `next_at` says when the rest is due (None: nothing left)."""
    engine = engine or get_engine()
    result = DeliveryResult(campaign_id=campaign_id)
    with engine.connect() as lock_conn:
        got = repository.try_campaign_lock(lock_conn, campaign_id=campaign_id)
        lock_conn.commit()  # the lock is session-level: no transaction left open
        if not got:
            result.busy = True
            return result
        try:
            _run(campaign_id, engine, result, max_messages)
        finally:
            repository.release_campaign_lock(lock_conn, campaign_id=campaign_id)
            lock_conn.commit()
    return result


def _run(
    campaign_id: uuid.UUID, engine: Engine, result: DeliveryResult, max_messages: int | None
) -> None:
    with unit_of_work(engine) as session:
        campaign = _start(session, campaign_id)
        if campaign is None:
            result.done = True
            return
        ws = campaign.workspace_id
        try:
            channel: Channel | None = channel_for(campaign, engine)
        except DeliveryError as exc:
            channel = None
            _fail_all(session, campaign, exc.message)
        result.recovered = _recover(session, campaign, channel)
    if channel is None:
        return _finish(engine, campaign_id, result)
    try:
        _drain(engine, campaign_id, ws, channel, result, max_messages)
    finally:
        close = getattr(channel, "close", None)
        if close is not None:
            close()


def _drain(
    engine: Engine,
    campaign_id: uuid.UUID,
    ws: uuid.UUID,
    channel: Channel,
    result: DeliveryResult,
    max_messages: int | None,
) -> None:
    handled = 0
    while max_messages is None or handled < max_messages:
        claimed = _claim(engine, campaign_id, ws, result)
        if isinstance(claimed, Wait):
            result.next_at = claimed.until
            log.info("campaign %s waits until %s (%s)", campaign_id, claimed.until, claimed.why)
            return
        if claimed is None:
            break
        if claimed.status == "skipped":
            result.skipped += 1
            continue
        _send_and_record(engine, claimed, channel, result)
        handled += 1
    _finish(engine, campaign_id, result)


def _start(session: Session, campaign_id: uuid.UUID) -> OutreachCampaign | None:
    campaign = session.get(OutreachCampaign, campaign_id, with_for_update=True)
    if campaign is None or campaign.status in ("draft", "done"):
        return None
    if campaign.status == "scheduled":
        campaign.status = "sending"
        campaign.started_at = datetime.now(UTC)
    return campaign


def _recover(session: Session, campaign: OutreachCampaign, channel: Channel | None) -> int:
    """Rows left `sending` by a deliverer that died (we hold the lock: none is in flight)."""
    rows = repository.recipients(session, campaign_id=campaign.id, status="sending")
    for row in rows:
        if channel is not None and channel.resend_uncertain:
            row.status, row.next_attempt_at = "queued", None
            event, detail = "recovered", {"resend": "same key"}
        else:
            row.status = "failed"
            row.reason = "uncertain: the sender stopped during the send; check before resending"
            event, detail = "failed", {"reason": row.reason}
        _event(session, row, event, detail)
    session.flush()
    return len(rows)


def _fail_all(session: Session, campaign: OutreachCampaign, why: str) -> None:
    for row in repository.recipients(session, campaign_id=campaign.id, status="queued"):
        row.status, row.reason, row.last_error = "failed", why, why
        _event(session, row, "failed", {"reason": why})
    session.flush()


def _claim(
    engine: Engine, campaign_id: uuid.UUID, ws: uuid.UUID, result: DeliveryResult
) -> OutreachRecipient | Wait | None:
    now = datetime.now(UTC)
    with unit_of_work(engine) as session:
        campaign = session.get(OutreachCampaign, campaign_id)
        assert campaign is not None
        cfg = service.settings_of(session=session, workspace_id=ws)
        quiet = guards.quiet_until(cfg, now)
        if quiet is not None:
            return Wait(quiet, "quiet hours")
        cap = cfg.daily_caps.get(campaign.channel)
        if cap is not None:
            repository.lock_channel_count(session, workspace_id=ws, channel=campaign.channel)
            used = repository.contacts_since(
                session, workspace_id=ws, channel=campaign.channel, since=guards.day_start(cfg, now)
            )
            if used >= int(cap):
                return Wait(guards.next_day_start(cfg, now), "daily cap")
        row = repository.claim_next(session, campaign_id=campaign_id, now=now)
        if row is None:
            return None
        # The person now (they may have been merged since the outbox was written).
        who = people_service.get(session=session, workspace_id=ws, person_id=row.person_id).id
        repository.lock_person(session, person_id=who)
        reasons = service.guard_reasons(
            session=session, workspace_id=ws, person_ids=[who], campaign=campaign, cfg=cfg,
            now=now, recipient_id=row.id,
        )  # fmt: skip
        if who in reasons:
            row.status, row.reason, row.sending_at = "skipped", reasons[who], None
            _event(session, row, "skipped", {"reason": row.reason, "at": "send time"})
        else:
            _event(session, row, "sending", {"attempt": row.attempts})
        session.flush()
        session.expunge(row)
        return row


def _send_and_record(
    engine: Engine, row: OutreachRecipient, channel: Channel, result: DeliveryResult
) -> None:
    message = Outgoing(
        recipient_id=str(row.id), campaign_id=str(row.campaign_id), person_id=str(row.person_id),
        channel=row.channel, address=row.address, subject=row.subject, body=row.body or "",
    )  # fmt: skip
    error: DeliveryError | None = None
    detail: dict[str, Any] = {}
    try:
        detail = channel.send(message)
    except DeliveryError as exc:
        error = exc
    with unit_of_work(engine) as session:
        current = session.get(OutreachRecipient, row.id, with_for_update=True)
        assert current is not None
        _record(session, current, error, detail)
        if current.status == "sent":
            result.sent += 1
        elif current.status == "failed":
            result.failed += 1


def _record(
    session: Session,
    row: OutreachRecipient,
    error: DeliveryError | None,
    detail: dict[str, Any],
) -> None:
    now = datetime.now(UTC)
    if error is None:
        row.status, row.sent_at, row.last_error = "sent", now, None
        _event(session, row, "sent", detail)
    elif not error.permanent and row.attempts < settings.outreach_max_attempts:
        delay = settings.outreach_retry_seconds * 2 ** (row.attempts - 1)
        row.status, row.last_error = "queued", error.message
        row.next_attempt_at = now + timedelta(seconds=delay)
        _event(
            session, row, "retry", {"error": error.message, "at": row.next_attempt_at.isoformat()}
        )
    else:
        row.status, row.last_error, row.reason = "failed", error.message, error.message
        _event(session, row, "failed", {"error": error.message, "attempts": row.attempts})
    session.flush()


def _finish(engine: Engine, campaign_id: uuid.UUID, result: DeliveryResult) -> None:
    with unit_of_work(engine) as session:
        left, due = repository.next_due(session, campaign_id=campaign_id)
        if left:
            result.next_at = due or datetime.now(UTC)
            return
        campaign = session.get(OutreachCampaign, campaign_id, with_for_update=True)
        assert campaign is not None
        campaign.status, campaign.finished_at = "done", datetime.now(UTC)
        repository.add_event(
            session, workspace_id=campaign.workspace_id, campaign_id=campaign_id,
            recipient_id=None, event="done", detail={},
        )  # fmt: skip
        result.done = True


def _event(session: Session, row: OutreachRecipient, event: str, detail: dict[str, Any]) -> None:
    repository.add_event(
        session, workspace_id=row.workspace_id, campaign_id=row.campaign_id, recipient_id=row.id,
        event=event, detail=detail,
    )  # fmt: skip


def deliver_until_idle(campaign_id: uuid.UUID, *, engine: Engine | None = None) -> DeliveryResult:
    """Deliver in this process until nothing is due now (the CLI's --inline, tests)."""
    total = DeliveryResult(campaign_id=campaign_id)
    while True:
        step = deliver(campaign_id, engine=engine)
        for name in ("sent", "failed", "skipped", "recovered"):
            setattr(total, name, getattr(total, name) + getattr(step, name))
        total.busy, total.done, total.next_at = step.busy, step.done, step.next_at
        if step.busy or step.done or step.next_at is None or step.next_at > datetime.now(UTC):
            return total


def enqueue(
    campaign_id: uuid.UUID, *, at: datetime | None = None, engine: Engine | None = None
) -> bool:
    """Queue the delivery job (after the commit that wrote the outbox). False when this database
    has no job queue: then `fanlens outreach campaigns resume` or the worker's periodic resume
    delivers. A job already waiting for the campaign is enough."""
    return defer(
        engine or get_engine(),
        DELIVER_TASK,
        queueing_lock=f"outreach:{campaign_id}",
        schedule_at=at,
        campaign_id=str(campaign_id),
    )


def resume_all(*, engine: Engine | None = None) -> list[uuid.UUID]:
    """Campaigns that are due or were interrupted (the worker's periodic job defers them)."""
    with unit_of_work(engine) as session:
        return repository.campaigns_to_resume(session, now=datetime.now(UTC))
