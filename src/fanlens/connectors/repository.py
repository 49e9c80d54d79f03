"""SQL for accounts, stream cursors and sync runs."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from sqlalchemy import Connection, ScalarSelect, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from fanlens.connectors import models
from fanlens.connectors.base import Reject, RetiredMetric
from fanlens.connectors.models import Account, SyncRun, SyncState
from fanlens.interactions.models import IngestReject
from fanlens.kit import locks


def account_workspace(account_id: uuid.UUID) -> ScalarSelect[uuid.UUID]:
    """The account's workspace, as a subquery: the tables an account's syncs write hold
    `workspace_id` too (docs/scale-out.md), and their writers know the account alone."""
    return select(Account.workspace_id).where(Account.id == account_id).scalar_subquery()


def get_account(session: Session, account_id: uuid.UUID) -> Account | None:
    return session.get(Account, account_id)


def find_account(
    session: Session, *, workspace_id: uuid.UUID, platform: str, external_id: str
) -> Account | None:
    return session.scalars(
        select(Account).where(
            Account.workspace_id == workspace_id,
            Account.platform == platform,
            Account.external_id == external_id,
        )
    ).one_or_none()


def accounts_by_external_id(session: Session, *, platform: str, external_id: str) -> list[Account]:
    """Every workspace's account of this platform user (one channel may be connected to several
    workspaces), oldest first."""
    query = select(Account).where(Account.platform == platform, Account.external_id == external_id)
    return list(session.scalars(query.order_by(Account.created_at)))


def list_accounts(session: Session, *, workspace_id: uuid.UUID | None = None) -> list[Account]:
    query = select(Account).order_by(Account.created_at)
    if workspace_id is not None:
        query = query.where(Account.workspace_id == workspace_id)
    return list(session.scalars(query))


def last_runs(session: Session, account_ids: list[uuid.UUID]) -> dict[uuid.UUID, SyncRun]:
    query = (
        select(SyncRun)
        .where(SyncRun.account_id.in_(account_ids))
        .order_by(SyncRun.account_id, SyncRun.started_at.desc())
        .distinct(SyncRun.account_id)
    )
    return {run.account_id: run for run in session.scalars(query)}


def set_account_status(
    session: Session, account_id: uuid.UUID, *, status: str, last_error: str | None
) -> None:
    session.execute(
        update(Account)
        .where(Account.id == account_id)
        .values(status=status, last_error=last_error, updated_at=func.now())
    )


def set_credentials(session: Session, account_id: uuid.UUID, ciphertext: bytes) -> None:
    session.execute(
        update(Account)
        .where(Account.id == account_id)
        .values(credentials=ciphertext, updated_at=func.now())
    )


def set_display_name(session: Session, account_id: uuid.UUID, name: str) -> None:
    session.execute(
        update(Account)
        .where(Account.id == account_id, Account.display_name.is_distinct_from(name))
        .values(display_name=name, updated_at=func.now())
    )


def load_states(session: Session, account_id: uuid.UUID) -> dict[str, dict[str, Any]]:
    rows = session.execute(
        select(SyncState.stream, SyncState.cursor).where(SyncState.account_id == account_id)
    )
    return {stream: dict(cursor) for stream, cursor in rows}


def save_state(
    session: Session, account_id: uuid.UUID, stream: str, cursor: dict[str, Any]
) -> None:
    stmt = insert(SyncState).values(
        account_id=account_id,
        workspace_id=account_workspace(account_id),
        stream=stream,
        cursor=cursor,
    )
    session.execute(
        stmt.on_conflict_do_update(
            constraint="uq_sync_state_key",
            set_={"cursor": stmt.excluded.cursor, "updated_at": func.now()},
        )
    )


# The sync_state row (under this name, beside the streams') where an account's units spent
# against its platform's daily quota are counted: {"day": "<the platform's day>", "units": N}.
QUOTA_STATE = "quota"
# Where a YouTube account's WebSub subscription is kept (connectors.websub).
WEBSUB_STATE = "websub"
ACCOUNT_STATES = (QUOTA_STATE, WEBSUB_STATE)  # sync_state rows that are not stream cursors
_ADD_QUOTA = text(
    "INSERT INTO sync_state (account_id, workspace_id, stream, cursor) "
    "VALUES (:account_id, (SELECT workspace_id FROM accounts WHERE id = :account_id), :stream, "
    "jsonb_build_object('day', CAST(:day AS text), 'units', :units)) "
    "ON CONFLICT ON CONSTRAINT uq_sync_state_key DO UPDATE SET updated_at = now(), cursor = "
    "CASE WHEN sync_state.cursor->>'day' = CAST(:day AS text) "
    "THEN jsonb_build_object('day', CAST(:day AS text), "
    "'units', COALESCE((sync_state.cursor->>'units')::int, 0) + :units) "
    "ELSE EXCLUDED.cursor END"
)


def add_quota(session: Session, account_id: uuid.UUID, *, day: str, units: int) -> None:
    """Add units to the account's count of `day`; a count of an earlier day starts over.
    One statement, so syncs and profile refreshes adding at once both count."""
    session.execute(
        _ADD_QUOTA, {"account_id": account_id, "stream": QUOTA_STATE, "day": day, "units": units}
    )


def quota_used(session: Session, account_ids: list[uuid.UUID], *, day: str) -> dict[uuid.UUID, int]:
    """Units each account spent on `day` (accounts without a count that day: 0)."""
    rows = session.execute(
        select(SyncState.account_id, SyncState.cursor).where(
            SyncState.account_id.in_(account_ids), SyncState.stream == QUOTA_STATE
        )
    )
    used = dict.fromkeys(account_ids, 0)
    for account_id, cursor in rows:
        if cursor.get("day") == day:
            used[account_id] = int(cursor.get("units") or 0)
    return used


def close_interrupted_runs(session: Session, account_id: uuid.UUID) -> int:
    """Runs still 'running' while we hold the account's sync lock died with their process."""
    result = session.execute(
        update(SyncRun)
        .where(SyncRun.account_id == account_id, SyncRun.status == "running")
        .values(
            status="failed",
            finished_at=func.now(),
            last_error="interrupted: the process running this sync stopped before it finished",
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def start_run(session: Session, account_id: uuid.UUID, *, full: bool) -> uuid.UUID:
    # An INSERT, not session.add: a flush sorts tables by their foreign keys, and the one to
    # `workspaces` names a table a process that never imports its model does not know.
    stmt = insert(SyncRun).values(
        account_id=account_id, workspace_id=account_workspace(account_id), full=full
    )
    return session.execute(stmt.returning(SyncRun.id)).scalar_one()


def add_to_run(
    session: Session,
    run_id: uuid.UUID,
    *,
    stream: str,
    items: int,
    rejects: int,
    api_calls: int,
    quota_used: int,
) -> None:
    """Add a page's counts to its run, in the page's own transaction (so they survive a kill)."""
    session.execute(
        text(
            "UPDATE sync_runs SET items = jsonb_set(items, ARRAY[:stream], "
            "to_jsonb(COALESCE((items->>:stream)::int, 0) + :items)), "
            "rejects = rejects + :rejects, api_calls = :api_calls, quota_used = :quota_used "
            "WHERE id = :run_id"
        ),
        {
            "stream": stream,
            "items": items,
            "rejects": rejects,
            "api_calls": api_calls,
            "quota_used": quota_used,
            "run_id": run_id,
        },
    )


def finish_run(
    session: Session,
    run_id: uuid.UUID,
    *,
    status: str,
    api_calls: int,
    quota_used: int,
    last_error: str | None,
) -> None:
    session.execute(
        update(SyncRun)
        .where(SyncRun.id == run_id)
        .values(
            status=status,
            finished_at=func.now(),
            api_calls=api_calls,
            quota_used=quota_used,
            last_error=last_error,
        )
    )


def store_rejects(
    session: Session, *, workspace_id: uuid.UUID, source: str, rejects: list[Reject]
) -> None:
    """Upstream items that could not become records, kept in the ingest pipeline's rejects
    table; the same item rejected again is stored once."""
    rows = [
        {
            "workspace_id": workspace_id,
            "source": source,
            "line_number": 0,  # an upstream item has no line; its hash tells them apart
            "reason": "malformed_upstream_item",
            "message": reject.error,
            "raw": reject.raw.replace("\x00", ""),
            "raw_hash": uuid.UUID(bytes=hashlib.md5(reject.raw.encode()).digest()),
        }
        for reject in rejects
    ]
    session.execute(insert(IngestReject).values(rows).on_conflict_do_nothing())


def try_sync_lock(connection: Connection, account_id: uuid.UUID) -> bool:
    """A session-level advisory lock: held while the connection lives, so a killed worker
    releases it with its connection and no stale claim is left behind."""
    return bool(
        connection.execute(
            text("SELECT pg_try_advisory_lock(:cls, hashtext(:account))"),
            {"cls": locks.ACCOUNT_SYNC, "account": str(account_id)},
        ).scalar_one()
    )


def release_sync_lock(connection: Connection, account_id: uuid.UUID) -> None:
    connection.execute(
        text("SELECT pg_advisory_unlock(:cls, hashtext(:account))"),
        {"cls": locks.ACCOUNT_SYNC, "account": str(account_id)},
    )


def try_live_lock(connection: Connection, account_id: uuid.UUID) -> bool:
    """Held by the worker that listens to the account, for as long as its connection lives:
    the other workers leave the account alone, and take it over when that worker dies."""
    return bool(
        connection.execute(
            text("SELECT pg_try_advisory_lock(:cls, hashtext(:account))"),
            {"cls": locks.ACCOUNT_LIVE, "account": str(account_id)},
        ).scalar_one()
    )


def still_connected(connection: Connection) -> bool:
    """Whether the server still answers on this connection (its session locks live on)."""
    try:
        connection.execute(text("SELECT 1"))
    except SQLAlchemyError:  # cut, or left unusable by a statement cut short
        return False
    return True


def release_live_lock(connection: Connection, account_id: uuid.UUID) -> None:
    connection.execute(
        text("SELECT pg_advisory_unlock(:cls, hashtext(:account))"),
        {"cls": locks.ACCOUNT_LIVE, "account": str(account_id)},
    )


# --- read side: data health (API and pages) ----------------------------------------------------


def stream_states(session: Session, account_ids: list[uuid.UUID]) -> list[SyncState]:
    """The streams' cursors (not the other rows kept beside them: quota, subscriptions)."""
    return list(
        session.scalars(
            select(SyncState)
            .where(SyncState.account_id.in_(account_ids), SyncState.stream.not_in(ACCOUNT_STATES))
            .order_by(SyncState.account_id, SyncState.stream)
        )
    )


def recent_runs(session: Session, account_ids: list[uuid.UUID], limit: int) -> list[SyncRun]:
    return list(
        session.scalars(
            select(SyncRun)
            .where(SyncRun.account_id.in_(account_ids))
            .order_by(SyncRun.started_at.desc(), SyncRun.id)
            .limit(limit)
        )
    )


def record_retired_metrics(
    session: Session, account_id: uuid.UUID, retired: list[RetiredMetric]
) -> None:
    """Remember refused metrics; seen again, only the time and the platform's words move."""
    rows = {
        (r.metric, r.media_type): {
            "account_id": account_id,
            "workspace_id": account_workspace(account_id),
            "metric": r.metric,
            "media_type": r.media_type,
            "message": r.message,
        }
        for r in retired
    }
    stmt = insert(models.RetiredMetric).values(list(rows.values()))
    session.execute(
        stmt.on_conflict_do_update(
            constraint="uq_connector_retired_metrics_key",
            set_={"message": stmt.excluded.message, "last_seen_at": func.now()},
        )
    )


def retired_metrics(session: Session, account_ids: list[uuid.UUID]) -> list[models.RetiredMetric]:
    if not account_ids:
        return []
    return list(
        session.scalars(
            select(models.RetiredMetric)
            .where(models.RetiredMetric.account_id.in_(account_ids))
            .order_by(models.RetiredMetric.last_seen_at.desc(), models.RetiredMetric.metric)
        )
    )


def open_gap(
    session: Session, account_id: uuid.UUID, source: str, since_cursor: int | None, error: str
) -> None:
    session.execute(  # an INSERT, not session.add: see start_run
        insert(models.LiveGap).values(
            account_id=account_id,
            workspace_id=account_workspace(account_id),
            source=source,
            since_cursor=since_cursor,
            error=error[:1000],
        )
    )


def close_gaps(session: Session, account_id: uuid.UUID, source: str) -> None:
    """The connection is back: every outage of this source still open ends now."""
    session.execute(
        update(models.LiveGap)
        .where(
            models.LiveGap.account_id == account_id,
            models.LiveGap.source == source,
            models.LiveGap.ended_at.is_(None),
        )
        .values(ended_at=func.now())
    )


def recent_gaps(session: Session, account_ids: list[uuid.UUID], limit: int) -> list[models.LiveGap]:
    return list(
        session.scalars(
            select(models.LiveGap)
            .where(models.LiveGap.account_id.in_(account_ids))
            .order_by(models.LiveGap.started_at.desc())
            .limit(limit)
        )
    )
