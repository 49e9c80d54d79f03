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
