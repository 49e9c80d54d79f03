"""Deferred upkeep of a bulk import: its batches leave the followers' derived rows to a catch-up
after the load (db/sql/upkeep.sql). `fanlens import` runs the catch-up before it returns; a
catch-up cut short (a killed import) is completed by the next import, `fanlens score` or a
worker's start, each through `catch_up`.

Each chunk of followers is one transaction that also deletes their backlog rows, so a catch-up
killed part way resumes where its last commit left it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager

from psycopg.errors import DeadlockDetected
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from fanlens.config import settings
from fanlens.db.engine import unit_of_work
from fanlens.interactions import upkeep_repository

log = logging.getLogger(__name__)


def catch_up(
    workspace_id: uuid.UUID | None = None,
    *,
    engine: Engine | None = None,
    session_scope: Callable[[], AbstractContextManager[Session]] | None = None,
    chunk: int | None = None,
) -> int:
    """Bring the derived rows of every waiting follower (of one workspace, or of all) up to
    date, a chunk per transaction of `session_scope` (default: a unit of work on `engine`);
    returns how many interactions were waited for. A chunk holds `chunk` followers, by default
    FANLENS_INGEST_BATCH_SIZE (a transaction about as large as an ingest batch), each rebuilt
    from the log set-based; readers see the backlog shrink chunk by chunk."""
    chunk = chunk or settings.ingest_batch_size
    scope = session_scope or (lambda: unit_of_work(engine))
    if workspace_id is None:
        with scope() as session:
            workspaces = upkeep_repository.workspaces_waiting(session)
    else:
        workspaces = [workspace_id]
    total = 0
    for ws in workspaces:
        _fresh_statistics(scope, ws)
        while True:
            caught = _chunk(scope, ws, chunk)
            if caught is None:
                break
            total += caught
    if total:
        log.info("caught up the derived rows of %s interactions", total)
    return total


def _fresh_statistics(
    scope: Callable[[], AbstractContextManager[Session]], workspace_id: uuid.UUID
) -> None:
    """Right after a bulk load autovacuum may not yet have analyzed the rows it stored (it
    looks once a minute), and a catch-up planned on statistics of a log a fraction of its size
    picks nested loops over whole tables. So when the backlog is a tenth of the log or more,
    the tables it reads are analyzed first (about a second on 150 000 interactions: ANALYZE
    reads a sample)."""
    with scope() as session:
        if upkeep_repository.statistics_lag(session, workspace_id=workspace_id):
            upkeep_repository.analyze(session)


# A chunk locks its followers in id order; a content relink running at the same time locks
# them in its own order, and PostgreSQL aborts one of the two. The chunk rolled back whole, so
# it is simply run again.
_DEADLOCK_RETRIES = 5


def _chunk(
    scope: Callable[[], AbstractContextManager[Session]], workspace_id: uuid.UUID, followers: int
) -> int | None:
    for attempt in range(_DEADLOCK_RETRIES):
        try:
            with scope() as session:
                return upkeep_repository.catch_up(
                    session, workspace_id=workspace_id, followers=followers
                )
        except OperationalError as exc:
            if not isinstance(exc.orig, DeadlockDetected) or attempt + 1 == _DEADLOCK_RETRIES:
                raise
            log.warning("catch-up chunk deadlocked with another writer; running it again")
    return None
