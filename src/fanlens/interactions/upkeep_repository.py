"""The backlog of a bulk import's deferred upkeep and its catch-up (db/sql/upkeep.sql)."""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.orm import Session


def defer(session: Session) -> None:
    """Make this transaction a bulk batch: its interactions' followers wait in the backlog."""
    session.execute(text("SET LOCAL fanlens.defer_upkeep = 'on'"))


def resume(session: Session) -> None:
    """Back to in-transaction upkeep (for a caller whose batches share one transaction)."""
    session.execute(text("SET LOCAL fanlens.defer_upkeep = 'off'"))


def catch_up(session: Session, *, workspace_id: uuid.UUID, followers: int | None) -> int | None:
    """Bring up to `followers` waiting followers up to date: the interactions caught up, None
    when nothing waited."""
    return session.execute(
        text("SELECT fanlens_catch_up(:ws, :n)"), {"ws": workspace_id, "n": followers}
    ).scalar_one()


def waiting(session: Session, *, workspace_id: uuid.UUID) -> int:
    """Interactions of the workspace whose followers' derived rows wait for the catch-up."""
    return int(
        session.execute(
            text(
                "SELECT coalesce(sum(interactions), 0) FROM upkeep_backlog WHERE workspace_id = :ws"
            ),
            {"ws": workspace_id},
        ).scalar_one()
    )


def workspaces_waiting(session: Session) -> list[uuid.UUID]:
    return list(
        session.execute(
            text(
                "SELECT workspace_id FROM upkeep_backlog"
                " UNION SELECT workspace_id FROM upkeep_daily_backlog"
            )
        ).scalars()
    )


# The tables a catch-up reads to pick and rebuild its followers.
_CAUGHT_UP_FROM = ("follower_interactions", "followers", "upkeep_backlog", "upkeep_daily_backlog")


def statistics_lag(session: Session, *, workspace_id: uuid.UUID) -> bool:
    """Do the log's statistics miss a tenth of it or more (what autovacuum's analyze waits for)?
    The waiting interactions are compared with the rows the statistics count in the log."""
    counted = session.execute(
        text("SELECT reltuples FROM pg_class WHERE oid = 'follower_interactions'::regclass")
    ).scalar_one()
    backlog = waiting(session, workspace_id=workspace_id)
    return backlog > 0 and backlog * 10 >= counted


def analyze(session: Session) -> None:
    """Statistics of the tables the catch-up reads, taken now (a sample of each table)."""
    session.execute(text(f"ANALYZE {', '.join(_CAUGHT_UP_FROM)}"))
