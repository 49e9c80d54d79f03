"""Sync one account: every stream, page by page, each page stored in its own transaction.

A page's records and the stream state after it are committed together, so a sync killed at
any moment resumes from the last stored page and reaches the same final state (ingest is
idempotent). A PostgreSQL advisory lock on a dedicated connection makes sure two workers
never sync one account at once; it dies with the connection, so a killed worker leaves no
stale claim. Kept a plain function: the job queue and the CLI both call it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from fanlens.connectors import paging, repository, service
from fanlens.connectors.base import Connector, ConnectorError, Page, Reject, Stream
from fanlens.connectors.registry import CONNECTORS
from fanlens.db.engine import get_engine, unit_of_work
from fanlens.interactions.ingest import IngestSummary, ingest_records
from fanlens.kit.errors import Conflict, FanlensError
from fanlens.kit.http import HttpOptions
from fanlens.kit.logging import kv
from fanlens.kit.timeutil import utcnow

log = logging.getLogger(__name__)
MAX_REJECTS_KEPT = 100

Progress = Callable[[str, int], None]


class SyncBusy(Conflict):
    code = "sync_busy"


class AccountNotActive(FanlensError):
    code = "account_not_active"


class QuotaBudgetSpent(FanlensError):
    """A faster poll is not started: the account's daily quota use has reached its budget."""

    code = "quota_budget_spent"


@dataclass
class SyncResult:
    run_id: uuid.UUID
    account_id: uuid.UUID
    status: str = "running"
    items: dict[str, int] = field(default_factory=dict)
    inserted: int = 0
    rejects: list[Reject] = field(default_factory=list)
    reject_count: int = 0
    api_calls: int = 0
    quota_used: int = 0
    quota_counted: int = 0  # of quota_used, what is added to the account's daily count
    message: str | None = None


def sync_account(
    *,
    account_id: uuid.UUID,
    full: bool = False,
    engine: Engine | None = None,
    http: HttpOptions | None = None,
    progress: Progress | None = None,
    recent_since: datetime | None = None,
    quota_budget: int | None = None,
) -> SyncResult:
    """Sync an account from where its streams stopped (`full` re-reads everything).

    With `recent_since` it is a faster poll: the connector's `recent_streams` only, and the
    engagement of posts published since then only. With `quota_budget`, a platform with a
    daily quota is not polled once the account's count for the day has reached it, and the
    poll stops before a request would take the count past it."""
    engine = engine or get_engine()
    with engine.connect() as lock_connection:
        if not repository.try_sync_lock(lock_connection, account_id):
            raise SyncBusy(f"account {account_id} is already being synced by another worker")
        lock_connection.commit()  # the lock is session-level: no transaction left open
        try:
            poll = Poll(full, recent_since, quota_budget)
            return _sync_locked(engine, account_id, poll, http or HttpOptions(), progress)
        finally:
            repository.release_sync_lock(lock_connection, account_id)
            lock_connection.commit()


@dataclass(frozen=True)
class Poll:
    """What one sync reads: everything again (`full`), or only the recent posts' engagement
    (`recent_since`), within a share of the daily quota (`quota_budget`)."""

    full: bool = False
    recent_since: datetime | None = None
    quota_budget: int | None = None


def _sync_locked(
    engine: Engine,
    account_id: uuid.UUID,
    poll: Poll,
    http: HttpOptions,
    progress: Progress | None,
) -> SyncResult:
    with unit_of_work(engine) as session:
        account = service.get_or_raise(session=session, account_id=account_id)
        if account.status != "active":
            raise AccountNotActive(
                f"account {account_id} is {account.status}"
                + (f" ({account.last_error})" if account.last_error else "")
                + "; reconnect it with `fanlens account add` before syncing"
            )
        workspace_id = account.workspace_id
        connector = CONNECTORS[account.platform].from_account(service.config(account), http)
        connector.save_credentials = lambda creds: _save_credentials(engine, account_id, creds)
        if poll.quota_budget is not None and connector.daily_quota:
            _limit_quota(session, connector, poll.quota_budget)
        repository.close_interrupted_runs(session, account_id)
        result = SyncResult(
            run_id=repository.start_run(session, account_id, full=poll.full),
            account_id=account_id,
        )
    try:
        _run_streams(engine, connector, workspace_id, result, poll, progress)
        result.status = "succeeded"
    except ConnectorError as exc:
        result.status = exc.account_status or "failed"
        result.message = exc.message
    except BaseException as exc:
        result.status, result.message = "failed", f"{type(exc).__name__}: {exc}"
        _finish(engine, connector, result)
        raise
    finally:
        connector.close()
    _finish(engine, connector, result)
    if result.items.get("posts"):
        _auto_link(engine, workspace_id)
    if result.inserted:  # every page has committed: the job sees what it is asked to analyse
        from fanlens.sentiment.runner import defer_analysis

        defer_analysis(workspace_id, engine=engine)
    if any(result.items.values()):  # new followers may be one person across platforms
        from fanlens.people.refresh import refresh_now

        refresh_now(workspace_id, engine=engine)
    return result


def _limit_quota(session: Session, connector: Connector, budget: int) -> None:
    """Refuse the poll when the day's count has reached `budget`, else cap its spending."""
    account_id, day = connector.account.id, connector.quota_day(utcnow())
    used = repository.quota_used(session, [account_id], day=day)[account_id]
    if used >= budget:
        connector.close()
        raise QuotaBudgetSpent(
            f"{connector.platform} account {account_id} has spent {used} of its "
            f"{connector.daily_quota} quota units on {day} (the platform's day); faster polls "
            f"stop at {budget} units and start again when the quota resets"
        )
    connector.http.quota_limit = budget - used


def _count_quota(session: Session, connector: Connector, result: SyncResult) -> None:
    """Add what the connector spent since the last count to the account's daily count."""
    units = connector.http.quota_used - result.quota_counted
    service.count_quota(session=session, connector=connector, units=units)
    result.quota_counted += units


def _auto_link(engine: Engine, workspace_id: uuid.UUID) -> None:
    """Posts this sync stored may be cross-posts of other platforms' posts: link those beyond
    doubt, in a transaction of their own once every page has committed."""
    from fanlens.config import settings
    from fanlens.content.linking import auto_link

    with unit_of_work(engine) as session:
        moved = auto_link(
            session=session,
            workspace_id=workspace_id,
            confidence=settings.content_auto_link_confidence,
        )
    if moved:
        log.info("cross-posts linked %s", kv(workspace=workspace_id, posts=moved))


def _run_streams(
    engine: Engine,
    connector: Connector,
    workspace_id: uuid.UUID,
    result: SyncResult,
    poll: Poll,
    progress: Progress | None,
) -> None:
    display_name = connector.resolve()
    if display_name:
        with unit_of_work(engine) as session:
            repository.set_display_name(session, result.account_id, display_name)
    since = poll.recent_since
    for stream in connector.streams if since is None else connector.recent_streams:
        with unit_of_work(engine) as session:
            states = repository.load_states(session, result.account_id)
        posts = states.get("posts", {}).get("posts", {})
        if since is not None:
            posts = paging.posts_since(posts, since)
        state = states.get(stream.name, {})
        pages = connector.read(stream, state, full=poll.full, posts=posts)
        for page in pages:
            _store_page(engine, connector, workspace_id, stream, page, result)
            if progress is not None:
                progress(stream.name, len(page.records))


def _store_page(
    engine: Engine,
    connector: Connector,
    workspace_id: uuid.UUID,
    stream: Stream,
    page: Page,
    result: SyncResult,
) -> None:
    with unit_of_work(engine) as session:
        summary = _ingest(session, workspace_id, page, connector, stream)
        rejects = page.rejects + _ingest_rejects(stream, summary)
        repository.save_state(session, result.account_id, stream.name, page.state)
        _count_quota(session, connector, result)
        if page.retired_metrics:
            repository.record_retired_metrics(session, result.account_id, page.retired_metrics)
        repository.add_to_run(
            session,
            result.run_id,
            stream=stream.name,
            items=len(page.records),
            rejects=len(rejects),
            api_calls=connector.http.api_calls,
            quota_used=connector.http.quota_used,
        )
    result.items[stream.name] = result.items.get(stream.name, 0) + len(page.records)
    result.inserted += summary.interactions_inserted if summary else 0
    result.reject_count += len(rejects)
    result.rejects.extend(rejects[: MAX_REJECTS_KEPT - len(result.rejects)])
    result.api_calls, result.quota_used = connector.http.api_calls, connector.http.quota_used


def _save_credentials(engine: Engine, account_id: uuid.UUID, credentials: dict[str, Any]) -> None:
    with unit_of_work(engine) as session:
        service.store_credentials(session=session, account_id=account_id, credentials=credentials)


def _ingest(
    session: Session, workspace_id: uuid.UUID, page: Page, connector: Connector, stream: Stream
) -> IngestSummary | None:
    source = f"sync:{connector.platform}:{connector.account.id}:{stream.name}"
    if page.rejects:
        repository.store_rejects(
            session, workspace_id=workspace_id, source=source, rejects=page.rejects
        )
        log.warning("rejected upstream items %s", kv(source=source, count=len(page.rejects)))
    if not page.records:
        return None
    return ingest_records(session, workspace_id=workspace_id, records=page.records, source=source)


def _ingest_rejects(stream: Stream, summary: IngestSummary | None) -> list[Reject]:
    """Records the pipeline refused (it stored them in ingest_rejects itself)."""
    if summary is None:
        return []
    return [
        Reject(stream=stream.name, raw=r.raw, error=f"{r.reason}: {r.message}")
        for r in summary.rejects
    ]


def _finish(engine: Engine, connector: Connector, result: SyncResult) -> None:
    with unit_of_work(engine) as session:
        if result.status in ("needs_reauth", "gone"):
            repository.set_account_status(
                session, result.account_id, status=result.status, last_error=result.message
            )
        elif result.status == "failed":
            repository.set_account_status(
                session, result.account_id, status="active", last_error=result.message
            )
        _count_quota(session, connector, result)
        repository.finish_run(
            session,
            result.run_id,
            status=result.status,
            api_calls=connector.http.api_calls,
            quota_used=connector.http.quota_used,
            last_error=result.message,
        )
    log.info(
        "sync finished %s",
        kv(account=result.account_id, status=result.status, api_calls=result.api_calls),
    )
