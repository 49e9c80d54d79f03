"""The procrastinate app, on the same PostgreSQL as everything else.

Built on demand (create_app) rather than at import, so importing the tasks never starts the
embedded database.
"""

from __future__ import annotations

import contextlib
from datetime import datetime

import psycopg
from procrastinate import App, PsycopgConnector
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.schema import SchemaManager
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from fanlens.db.engine import database_url

# Any fixed number; it only has to differ from fanlens's other advisory locks.
SCHEMA_LOCK = 7_310_001


def conninfo(url: str | None = None) -> str:
    """fanlens's SQLAlchemy URL as a libpq connection URI (no driver suffix)."""
    parsed = make_url(url or database_url())
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


_worker_app: App | None = None


def create_app(url: str | None = None) -> App:
    """The app with fanlens's tasks (worker, scheduler), once per process: procrastinate
    renames the shared blueprint's tasks each time they are added to an app, so a second app
    would look for `fanlens:fanlens:…`. Code that only queues a job uses `defer` instead."""
    global _worker_app
    from fanlens.jobs.tasks import blueprint

    if _worker_app is None:
        _worker_app = App(connector=PsycopgConnector(conninfo=conninfo(url)))
        _worker_app.add_tasks_from(blueprint, namespace="fanlens")
    return _worker_app


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


def ensure_schema(url: str | None = None) -> bool:
    """Apply procrastinate's schema unless it is there; True when it was applied now.

    An advisory lock makes concurrent callers (a server and a worker starting together) take
    turns, so the schema is applied once.
    """
    with psycopg.connect(conninfo(url)) as conn, conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
        row = conn.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()
        if row is not None and row[0] is not None:
            return False
        conn.execute(SchemaManager.get_schema())
        return True
