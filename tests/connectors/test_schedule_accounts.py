"""Which accounts the scheduled sync picks: active ones, less those kept off the schedule (the
demo's, whose simulators stop once the demo is made); and which TikTok accounts the faster sync
of recent videos picks."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from fanlens.config import settings
from fanlens.connectors import repository, service
from fanlens.connectors.scheduling import on_schedule, recent_account_ids
from fanlens.connectors.sync import sync_account
from fanlens.demo.generate import World
from tests.connectors.conftest import add_account, fast_http
from tests.fixtures.builders import create_workspace


def test_the_schedule_skips_accounts_kept_off_it_and_inactive_ones(session: Session) -> None:
    ws = create_workspace(session)
    kept = service.add(session=session, workspace_id=ws.id, platform="bluesky", handle="a.bsky")
    off = service.add_mastodon(
        session=session, workspace_id=ws.id, instance="https://mastodon.example", username="b"
    )
    off.settings = {**off.settings, "scheduled": False}
    gone = service.add(session=session, workspace_id=ws.id, platform="youtube", handle="UCx")
    gone.status = "gone"
    session.flush()
    session.expire_all()  # read back what the database holds
    picked = [a.id for a in repository.list_accounts(session, workspace_id=ws.id) if on_schedule(a)]
    assert picked == [kept.id]


def test_tiktok_accounts_with_a_video_in_the_last_hours_get_the_faster_sync(
    world: World,
    db: Engine,
    start_sim,  # type: ignore[no-untyped-def]
    secret_key: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    records = [r for r in world.records() if r.get("platform") == "tiktok"]
    sim = start_sim("tiktok", records)
    account_id = add_account(db, "tiktok", sim)
    newest = max(
        datetime.fromisoformat(r["posted_at"].replace("Z", "+00:00"))
        for r in records
        if r["type"] == "post"
    )
    assert recent_account_ids("tiktok", newest, engine=db) == []  # not synced: no video known

    assert sync_account(account_id=account_id, engine=db, http=fast_http()).status == "succeeded"
    monkeypatch.setattr(settings, "tiktok_recent_hours", 2)

    assert recent_account_ids("tiktok", newest + timedelta(hours=1), engine=db) == [account_id]
    assert recent_account_ids("tiktok", newest + timedelta(hours=3), engine=db) == []
