"""The job queue's side in the database: procrastinate's schema, and queueing a job by name.

Domain code queues jobs here, by task name, without importing the tasks; fanlens.jobs holds
the tasks and runs the worker.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime

import psycopg
from procrastinate import App, PsycopgConnector
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.schema import SchemaManager
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from fanlens.db.engine import database_url, get_engine
from fanlens.kit import locks

log = logging.getLogger(__name__)


def conninfo(url: str | None = None) -> str:
    """fanlens's SQLAlchemy URL as a libpq connection URI (no driver suffix)."""
    parsed = make_url(url or database_url())
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def has_queue(engine: Engine) -> bool:
    """Whether procrastinate's schema is in this database (`fanlens db upgrade` applies it)."""
    with engine.connect() as conn:
        return conn.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar() is not None


def defer(
    engine: Engine,
    task: str,
    *,
    queueing_lock: str,
    schedule_at: datetime | None = None,
    **kwargs: str,
) -> bool:
    """Queue `fanlens:<task>` by name on a bare app bound to `engine`'s database. True when
    queued or when a job with the same lock is already waiting; False without a job queue."""
    if not has_queue(engine):
        return False
    app = App(connector=PsycopgConnector(conninfo=conninfo(engine.url.render_as_string(False))))
    with app.open(), contextlib.suppress(AlreadyEnqueued):
        app.configure_task(
            f"fanlens:{task}", queueing_lock=queueing_lock, schedule_at=schedule_at
        ).defer(**kwargs)
    return True


def defer_after_commit(
    engine: Engine | None, task: str, *, queueing_lock: str, **kwargs: str
) -> bool:
    """`defer` for work that follows a commit: the data is stored whatever happens here, so a
    failure to queue is logged, never raised (the periodic jobs catch up)."""
    try:
        return defer(
            engine or get_engine(), task, queueing_lock=queueing_lock, schedule_at=None, **kwargs
        )
    except Exception as exc:
        log.warning("could not queue %s (%s): %s", task, queueing_lock, exc)
        return False


def ensure_schema(url: str | None = None) -> bool:
    """Apply procrastinate's schema unless it is there; True when it was applied now.

    An advisory lock makes concurrent callers (a server and a worker starting together) take
    turns, so the schema is applied once.
    """
    with psycopg.connect(conninfo(url)) as conn, conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (locks.QUEUE_SCHEMA,))
        row = conn.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()
        if row is not None and row[0] is not None:
            return False
        conn.execute(SchemaManager.get_schema())
        return True
