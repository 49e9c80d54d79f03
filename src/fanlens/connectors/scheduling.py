"""What the scheduled sync jobs call: which accounts to sync, and one sync as a job runs it."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from fanlens.connectors import paging, repository
from fanlens.connectors.models import Account
from fanlens.connectors.registry import CONNECTORS
from fanlens.connectors.sync import AccountNotActive, QuotaBudgetSpent, SyncBusy, sync_account
from fanlens.db.engine import unit_of_work
from fanlens.db.queue import defer_after_commit
from fanlens.kit.timeutil import utcnow

log = logging.getLogger(__name__)


def active_account_ids() -> list[uuid.UUID]:
    with unit_of_work() as session:
        return [a.id for a in repository.list_accounts(session) if on_schedule(a)]


def recent_since(platform: str, now: datetime) -> datetime:
    return now - timedelta(hours=CONNECTORS[platform].recent_hours())


def recent_account_ids(
    platform: str, now: datetime, *, engine: Engine | None = None
) -> list[uuid.UUID]:
    """Accounts of `platform` on the schedule whose newest post (as their last sync saw it)
    falls in the platform's recent window (FANLENS_<PLATFORM>_RECENT_HOURS). The faster poll
    reads only those posts' comments, and only of posts whose counts moved, so a quiet account
    costs a call or two."""
    since = recent_since(platform, now)
    with unit_of_work(engine) as session:
        listed = repository.list_accounts(session)
        accounts = [a for a in listed if a.platform == platform and on_schedule(a)]
        newest = {a.id: _newest_post(repository.load_states(session, a.id)) for a in accounts}
    return [account_id for account_id, at in newest.items() if at is not None and at >= since]


def _newest_post(states: dict[str, dict[str, Any]]) -> datetime | None:
    times = (paging.post_time(info) for info in states.get("posts", {}).get("posts", {}).values())
    return max((t for t in times if t is not None), default=None)  # undated posts left out


def on_schedule(account: Account) -> bool:
    """Active accounts are synced on schedule, except those whose settings say
    `"scheduled": false` (the demo's, whose simulators stop once the demo is made)."""
    return account.status == "active" and account.settings.get("scheduled", True) is not False


def run_sync(
    account_id: uuid.UUID, *, recent: str | None = None, engine: Engine | None = None
) -> dict[str, Any]:
    """Sync one account; a busy or no-longer-active account is skipped, not failed. With
    `recent` (its platform), only the comments of its recent posts are read, within the
    platform's quota budget; a poll over budget is skipped too."""
    poll: dict[str, Any] = {}
    if recent is not None:
        poll = {
            "recent_since": recent_since(recent, utcnow()),
            "quota_budget": CONNECTORS[recent].recent_quota_budget(),
        }
    try:
        result = sync_account(account_id=account_id, engine=engine, **poll)
    except (SyncBusy, AccountNotActive, QuotaBudgetSpent) as exc:
        log.info("sync of account %s skipped: %s", account_id, exc.message)
        return {"account_id": str(account_id), "status": "skipped", "reason": exc.message}
    return {
        "account_id": str(account_id),
        "status": result.status,
        "inserted": result.inserted,
        "api_calls": result.api_calls,
    }


def defer_sync(account_id: uuid.UUID, *, engine: Engine | None = None) -> bool:
    """Queue one account's sync now (a webhook said it has something new); call it after the
    commit. One waiting sync per account is enough, so an already queued one counts. Never
    raises: the next scheduled sync reads the same data."""
    return defer_after_commit(
        engine, "sync_account", queueing_lock=f"sync:{account_id}", account_id=str(account_id)
    )
