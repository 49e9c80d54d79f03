"""Analyse what ingest stored: batch after batch, one transaction each, then check for spikes.

Called by the `analyse_comments` job (deferred after each ingest commit), by the periodic
catch-up job and by `fanlens sentiment analyze-pending`. Runs may overlap: each batch locks
its comments (FOR UPDATE SKIP LOCKED), so concurrent runs split the work.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import Engine

from fanlens.config import settings
from fanlens.db.engine import unit_of_work
from fanlens.db.queue import defer_after_commit
from fanlens.sentiment import service
from fanlens.sentiment.analysers import Analyser
from fanlens.sentiment.provider import default_analyser
from fanlens.sentiment.schemas import AnalysisSummary
from fanlens.workspaces import repository as workspace_repository
from fanlens.workspaces import service as workspace_service


def analyse_pending(
    *,
    workspace_id: uuid.UUID | None = None,
    workspace_name: str | None = None,
    engine: Engine | None = None,
    analyser: Analyser | None = None,
    batch_size: int | None = None,
    redo: bool = False,
) -> AnalysisSummary:
    """Analyse every un-analysed comment (or every comment, `redo`) of one or all workspaces."""
    analyser = analyser or default_analyser()
    summary = AnalysisSummary()
    for ws in _workspace_ids(engine, workspace_id, workspace_name):
        days = _analyse_workspace(engine, ws, analyser, batch_size, redo, summary)
        summary.alerts += _check_spikes(engine, ws, days)
        summary.workspaces += 1
    summary.provider_failures = getattr(analyser, "failures", 0)
    if summary.alerts:
        # imported here: the alerts domain imports this domain's models
        from fanlens.alerts.runner import send_pending

        summary.notified = send_pending(engine=engine)
    return summary


def _workspace_ids(
    engine: Engine | None, workspace_id: uuid.UUID | None, name: str | None
) -> list[uuid.UUID]:
    if workspace_id is not None:
        return [workspace_id]
    with unit_of_work(engine) as session:
        if name:
            return [workspace_service.get_by_name_or_raise(session=session, name=name).id]
        return [w.id for w in workspace_repository.list_all(session)]


def _analyse_workspace(
    engine: Engine | None,
    workspace_id: uuid.UUID,
    analyser: Analyser,
    batch_size: int | None,
    redo: bool,
    summary: AnalysisSummary,
) -> set[date]:
    after, days = service.FIRST_ID, set[date]()
    while True:
        with unit_of_work(engine) as session:
            outcome = service.analyse_batch(
                session=session,
                workspace_id=workspace_id,
                analyser=analyser,
                after=after,
                limit=batch_size or settings.sentiment_batch_size,
                redo=redo,
            )
        if outcome.claimed == 0:
            return days
        summary.claimed += outcome.claimed
        summary.analysed += outcome.analysed
        days |= outcome.days
        after = outcome.last_id


def _check_spikes(engine: Engine | None, workspace_id: uuid.UUID, days: set[date]) -> int:
    created = 0
    for day in sorted(days):
        with unit_of_work(engine) as session:
            created += len(
                service.detect_spikes(
                    session=session,
                    workspace_id=workspace_id,
                    day=day,
                    min_negative=settings.sentiment_spike_min_negative,
                    share=settings.sentiment_spike_share,
                )
            )
    return created


def defer_analysis(workspace_id: uuid.UUID, *, engine: Engine | None = None) -> bool:
    """Queue the analysis job for a workspace; call it after the ingest commit.

    True when queued (or one is already waiting). False when there is no job queue in this
    database (procrastinate's schema is applied by `fanlens db upgrade`, `serve`, `worker`):
    then the periodic catch-up or `fanlens sentiment analyze-pending` does the work. Never
    raises: ingest has committed, and a failed enqueue must not turn it into an error.
    """
    return defer_after_commit(
        engine, "analyse_comments", queueing_lock=f"sentiment:{workspace_id}",
        workspace_id=str(workspace_id),
    )  # fmt: skip
