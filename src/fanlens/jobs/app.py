"""The procrastinate app, on the same PostgreSQL as everything else.

Built on demand (create_app) rather than at import, so importing the tasks never starts the
embedded database.
"""

from __future__ import annotations

import psycopg
from procrastinate import App, PsycopgConnector
from procrastinate.schema import SchemaManager
from sqlalchemy.engine import make_url

from fanlens.db.engine import database_url

# Any fixed number; it only has to differ from fanlens's other advisory locks.
SCHEMA_LOCK = 7_310_001


def conninfo(url: str | None = None) -> str:
    """fanlens's SQLAlchemy URL as a libpq connection URI (no driver suffix)."""
    parsed = make_url(url or database_url())
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def create_app(url: str | None = None) -> App:
    from fanlens.jobs.tasks import blueprint

    app = App(connector=PsycopgConnector(conninfo=conninfo(url)))
    app.add_tasks_from(blueprint, namespace="fanlens")
    return app


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
