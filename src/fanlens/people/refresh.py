"""Merge suggestions right after new data: a sync, `fanlens import` and `POST ingest` end
here once their batches have committed, so suggestions never wait for the periodic job.

What merges on its own is still decided by FANLENS_PEOPLE_AUTO_MERGE_CONFIDENCE; every other
pair waits for a reviewer.
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import Engine

from fanlens.db.engine import unit_of_work
from fanlens.db.queue import defer_after_commit
from fanlens.people import service
from fanlens.people.schemas import SuggestionRun

log = logging.getLogger(__name__)


def refresh_now(workspace_id: uuid.UUID, *, engine: Engine | None = None) -> SuggestionRun | None:
    """Look for suggestions in a transaction of its own (a sync or an import runs no worker
    of its own, so it does this inline). None when it failed: the data has committed, and a
    failed refresh must not turn it into an error; the next refresh finds the same pairs."""
    try:
        with unit_of_work(engine) as session:
            return service.refresh_suggestions(session=session, workspace_id=workspace_id)
    except Exception as exc:
        log.warning("merge suggestions of workspace %s not refreshed: %s", workspace_id, exc)
        return None


def defer_refresh(workspace_id: uuid.UUID, *, engine: Engine | None = None) -> bool:
    """Queue the workspace's refresh for the job worker; call it after the commit. One job
    waits per workspace however many requests queue it. False without a job queue (then the
    periodic people job finds the pairs); never raises, like `refresh_now`."""
    return defer_after_commit(
        engine, "refresh_suggestions", queueing_lock=f"people:{workspace_id}",
        workspace_id=str(workspace_id),
    )  # fmt: skip
