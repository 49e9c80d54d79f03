"""kill -9 of a worker in the middle of two campaigns (webhook and e-mail), then a new worker
resumes: every recipient received exactly one message, counted at the receivers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from fanlens.db.queue import ensure_schema
from fanlens.outreach import delivery, service
from fanlens.outreach.schemas import SettingsIn
from tests.fixtures.builders import create_workspace
from tests.helpers import fanlens_env
from tests.outreach.helpers import campaign, fan, person
from tests.outreach.receivers import SECRET, Inbox, WebhookReceiver

# Kills processes mid-run: one worker runs these, one at a time.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group(name="kill")]


def message_id(recipient_id: str) -> str:  # as the worker makes it, from its From address
    return f"<outreach.{recipient_id}@example.test>"


FANS = 30


def _seed(url: str, hook: str) -> tuple[uuid.UUID, uuid.UUID]:
    engine = create_engine(url, poolclass=NullPool)
    with Session(engine) as s:
        ws = create_workspace(s)
        for i in range(FANS):
            p = person(s, fan(s, ws, f"fan{i:02d}"))
            service.set_address(session=s, workspace_id=ws.id, person_id=p,
                                email=f"fan{i:02d}@example.test")  # fmt: skip
        # Both campaigns reach everyone: this test is about exactly-once, not the cooldown.
        service.update_settings(session=s, workspace_id=ws.id, changes=SettingsIn(cooldown_days=0))
        hook_c = campaign(s, ws, "webhook", options={"url": hook})
        mail_c = campaign(s, ws, "email", subject="Thanks {{ name }}")
        s.commit()
        for c in (hook_c, mail_c):
            service.schedule(session=s, workspace_id=ws.id, ref=str(c.id))
        s.commit()
        ids = hook_c.id, mail_c.id
    for c_id in ids:
        assert delivery.enqueue(c_id, engine=engine)
    engine.dispose()
    return ids


def _worker(url: str, inbox: Inbox, name: str, **extra: str) -> subprocess.Popen[str]:
    env = fanlens_env(
        database_url=url,
        FANLENS_OUTREACH_WEBHOOK_SECRET=SECRET,
        FANLENS_OUTREACH_SMTP_HOST="127.0.0.1",
        FANLENS_OUTREACH_SMTP_PORT=str(inbox.port),
        FANLENS_OUTREACH_SMTP_TLS="none",
        FANLENS_OUTREACH_SMTP_FROM="studio@example.test",
        FANLENS_RESCORE_CRON="0 0 1 1 *",
        FANLENS_ALERT_CRON="0 0 1 1 *",
        FANLENS_SYNC_CRON="0 0 1 1 *",
        FANLENS_SENTIMENT_CRON="0 0 1 1 *",
        FANLENS_PEOPLE_CRON="0 0 1 1 *",
        **extra,
    )
    return subprocess.Popen(
        [sys.executable, "-m", "fanlens", "worker", "--concurrency", "2", "--name", name],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def _wait(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def test_kill_9_mid_campaign_then_resume_sends_each_message_once(
    fresh_database_url: str, webhook: WebhookReceiver, smtp: Inbox
) -> None:
    webhook.delay = smtp.delay = 0.1  # slow receivers, so the kill lands mid-campaign
    ensure_schema(fresh_database_url)
    hook_c, mail_c = _seed(fresh_database_url, webhook.url)
    engine = create_engine(fresh_database_url, poolclass=NullPool)

    first = _worker(fresh_database_url, smtp, "doomed", FANLENS_OUTREACH_CRON="0 0 1 1 *")
    try:
        _wait(lambda: len(webhook.raw) >= 8 and len(smtp.messages) >= 8, 40, "first sends")
    except AssertionError:
        first.terminate()
        raise AssertionError(first.communicate(timeout=30)[0]) from None
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=30)
    log = first.stdout.read() if first.stdout else ""
    with engine.connect() as conn:
        at_kill = dict(
            conn.execute(text("SELECT status, count(*) FROM outreach_recipients GROUP BY 1")).all()
        )
        in_flight = set(
            conn.execute(
                text("SELECT id FROM outreach_recipients WHERE status = 'sending'")
            ).scalars()
        )
    assert at_kill.get("queued", 0) > 0, (at_kill, log)  # killed mid-campaign

    # A new worker: its periodic resume finds both campaigns and finishes them.
    second = _worker(fresh_database_url, smtp, "heir", FANLENS_OUTREACH_CRON="* * * * * */1")
    try:

        def done() -> bool:
            with engine.connect() as conn:
                left = conn.execute(
                    text("SELECT count(*) FROM outreach_campaigns WHERE status <> 'done'")
                ).scalar()
            return left == 0

        _wait(done, 180, "both campaigns done")
    finally:
        second.terminate()
        second.wait(timeout=60)

    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, campaign_id, status, address FROM outreach_recipients")
        ).all()
    engine.dispose()
    assert {r.status for r in rows} == {"sent"} and len(rows) == 2 * FANS
    hook_ids = {str(r.id) for r in rows if r.campaign_id == hook_c}
    mail_ids = {str(r.id) for r in rows if r.campaign_id == mail_c}

    # Webhook: the receiver acts once per idempotency key; a repeat can only be the message
    # that was in flight when the worker died.
    assert set(webhook.accepted) == hook_ids
    assert webhook.bad_signatures == 0
    repeats = {k for k, n in webhook.per_key().items() if n > 1}
    assert repeats <= {str(i) for i in in_flight}
    assert max(webhook.per_key().values()) <= 2

    # E-mail: one Message-ID per recipient, each address got exactly its own message; a second
    # copy (same Message-ID) is possible only for a message in flight at the kill.
    per_id = smtp.per_message_id()
    assert set(per_id) == {message_id(i) for i in mail_ids}
    copies = {mid for mid, n in per_id.items() if n > 1}
    assert copies <= {message_id(str(i)) for i in in_flight}
    per_address = {m["to"][0] for m in smtp.messages}
    assert len(per_address) == FANS
    print(f"in flight at kill: {len(in_flight)}; webhook repeats {len(repeats)}, "
          f"smtp copies {len(copies)}; statuses at kill {at_kill}")  # fmt: skip
