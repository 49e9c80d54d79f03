"""The procrastinate app, on the same PostgreSQL as everything else.

Built on demand (create_app) rather than at import, so importing the tasks never starts the
embedded database.
"""

from __future__ import annotations

from typing import Any

from procrastinate import App, PsycopgConnector

from fanlens.config import settings
from fanlens.db.queue import conninfo

_worker_app: App | None = None


def create_app(url: str | None = None) -> App:
    """The app with fanlens's tasks (worker, scheduler), once per process: procrastinate
    renames the shared blueprint's tasks each time they are added to an app, so a second app
    would look for `fanlens:fanlens:…`. Code that only queues a job uses
    fanlens.db.queue.defer instead."""
    global _worker_app
    from fanlens.jobs.tasks import blueprint

    if _worker_app is None:
        _worker_app = App(connector=PsycopgConnector(conninfo=conninfo(url)))
        _worker_app.add_tasks_from(blueprint, namespace="fanlens")
    return _worker_app


def run_worker(app: App, **options: Any) -> None:
    """Run a worker until it is stopped, sending heartbeats so that the others can tell when
    it died (retry_stalled_jobs then queues its jobs again)."""
    app.run_worker(
        update_heartbeat_interval=settings.worker_stalled_after / 3,
        stalled_worker_timeout=settings.worker_stalled_after,
        **options,
    )
