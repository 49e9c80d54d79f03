"""Shared by the benchmarks: a fresh, migrated database of their own, or a kept one's world."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from fanlens.db import embedded, migrate
from fanlens.db.engine import normalize_url


def fresh_database(label: str) -> str:
    """A new migrated database: on FANLENS_DATABASE_URL's server, or an embedded one."""
    configured = os.environ.get("FANLENS_DATABASE_URL")
    if configured:
        admin = normalize_url(configured)
    else:
        data_dir = Path(os.environ.get("FANLENS_BENCH_DIR", tempfile.mkdtemp(prefix="fl-bench-")))
        admin = embedded.ensure_server(data_dir)
    name = f"bench_{label}_{uuid.uuid4().hex[:6]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    migrated = create_engine(url, poolclass=NullPool)
    migrate.upgrade(migrated)
    migrated.dispose()
    return url


def backend_cpu(conn: Connection) -> Callable[[], float | None]:
    """A clock of the CPU time the connection's server process has used, in seconds, read from
    /proc (the scheduler's nanosecond count): wall times on a shared machine swing 2-3x, CPU
    time far less. It reads None when the server runs elsewhere (no such process here)."""
    pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    stat = Path(f"/proc/{pid}/schedstat")

    def read() -> float | None:
        try:
            return int(stat.read_text().split()[0]) / 1e9
        except (OSError, ValueError, IndexError):
            return None

    return read


def largest_workspace(conn: Connection) -> uuid.UUID:
    """The workspace with the most interactions in a kept database (its size is printed)."""
    ws, followers, interactions = conn.execute(
        text(
            "SELECT workspace_id, count(DISTINCT follower_id), count(*) "
            "FROM follower_interactions GROUP BY 1 ORDER BY 3 DESC LIMIT 1"
        )
    ).one()
    print(f"world: {followers:,} followers with {interactions:,} interactions (reused)")
    return uuid.UUID(str(ws))
