"""Rescoring many workspaces: one transaction (one commit point) per workspace.

Used by `fanlens score` and the nightly job. Backfill = a full rescore.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import Engine

from fanlens.db.engine import unit_of_work
from fanlens.interactions.upkeep import catch_up
from fanlens.scoring import service
from fanlens.scoring.schemas import RescoreResult
from fanlens.workspaces import repository as workspace_repository
from fanlens.workspaces import service as workspace_service

log = logging.getLogger(__name__)


def rescore_all(
    *,
    workspace_name: str | None = None,
    rebuild_counts: bool = True,
    replay_history: bool = False,
    kind: str = "manual",
    scheduled_for: datetime | None = None,
    engine: Engine | None = None,
) -> list[RescoreResult]:
    with unit_of_work(engine) as session:
        if workspace_name:
            ids = [workspace_service.get_by_name_or_raise(session=session, name=workspace_name).id]
        else:
            ids = [w.id for w in workspace_repository.list_all(session)]
    results = []
    for workspace_id in ids:
        # A bulk import cut short left followers waiting: bring them up to date first (the
        # rescore rebuilds counts and scores, not retention nor first and last seen).
        catch_up(workspace_id, engine=engine)
        with unit_of_work(engine) as session:
            result = service.rescore_workspace(
                session=session,
                workspace_id=workspace_id,
                rebuild_counts=rebuild_counts,
                replay_history=replay_history,
                kind=kind,
                scheduled_for=scheduled_for,
            )
        log.info(
            "rescore %s of workspace %s: %s",
            kind,
            workspace_id,
            f"{result.followers} followers in {result.seconds:.2f}s"
            if result.ran
            else "skipped, already run",
        )
        results.append(result)
    return results
