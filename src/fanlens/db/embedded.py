"""The embedded PostgreSQL (the `pgserver` package) used when FANLENS_DATABASE_URL is unset.

pgserver keeps one server per data folder and counts the processes using it behind a file
lock, so the web server, workers and CLI commands started from the same folder share one
PostgreSQL; the last process to leave stops it (from atexit: `fanlens serve` turns SIGINT,
SIGTERM and SIGHUP into a clean exit so that it runs). A process that ended without leaving
(SIGKILL, a crash) is struck off the count by the next one to leave, so it does not keep the
server running forever.
"""

from __future__ import annotations

import atexit
import logging
import os
import warnings
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

DATABASE_NAME = "fanlens"
_servers: dict[Path, Any] = {}


def pgdata_path(data_dir: Path) -> Path:
    return (data_dir / "pgdata").resolve()


def ensure_server(data_dir: Path) -> str:
    """Start (or join) the embedded server under data_dir and return a SQLAlchemy URL."""
    pgdata = pgdata_path(data_dir)
    server = _servers.get(pgdata)
    if server is None:
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
            import pgserver

            server = pgserver.get_server(pgdata, cleanup_mode="stop")
            _ensure_database(server)
            if _restart_pending(server) and _sole_user(server):
                # A new data folder: shared_buffers was set after its first start.
                server.cleanup()  # stops it: no other process uses it
                server = pgserver.get_server(pgdata, cleanup_mode="stop")
        _servers[pgdata] = server
        # atexit runs the last registered first: this, then pgserver's leaving.
        atexit.register(_forget_departed, server)
    return _sqlalchemy_url(server.get_uri(DATABASE_NAME))


def stop_server(data_dir: Path) -> None:
    """Leave the embedded server under data_dir; the last process to leave stops it."""
    server = _servers.pop(pgdata_path(data_dir), None)
    if server is not None:
        server.cleanup()


def _forget_departed(server: Any) -> None:
    """Drop the processes that ended without leaving from pgserver's count of users, so the
    last living one stops the server."""
    with type(server)._lock:  # pgserver's own lock on the count, shared between processes
        users = server.global_process_id_list.get()
        living = [pid for pid in users if _alive(pid)]
        if living != users:
            server.global_process_id_list.put(living)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only checks that the process exists
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def _sole_user(server: Any) -> bool:
    # pgserver's list of the processes using the server (its stop-when-last-leaves count).
    return bool(server.global_process_id_list.get() == [os.getpid()])


def _restart_pending(server: Any) -> bool:
    return "(0 rows)" not in server.psql("SELECT name FROM pg_settings WHERE pending_restart;")


# Settings that take effect on reload. The defaults suit a tiny server; bulk imports and full
# rescores of millions of rows checkpoint far less often with room for more WAL, and sort and
# build indexes in memory. The data lives on the local disk, mostly in the page cache: a random
# page costs about what a sequential one does, and at the default (4) the planner scanned all
# followers rather than look 1 000 of them up by key.
TUNING = {
    "random_page_cost": "1.1",
    "max_wal_size": "4GB",
    "checkpoint_timeout": "15min",
    "maintenance_work_mem": "256MB",
    "work_mem": "32MB",
    "effective_cache_size": "4GB",
}


def _ensure_database(server: Any) -> None:
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE_NAME};")
        log.info("created database %s in the embedded server", DATABASE_NAME)
    _tune(server)  # every start, so data directories made by older versions get new settings


def _tune(server: Any) -> None:
    settings = {**TUNING, "shared_buffers": shared_buffers()}
    statements = "".join(f"ALTER SYSTEM SET {k} = '{v}';" for k, v in settings.items())
    server.psql(statements + "SELECT pg_reload_conf();")


def shared_buffers(ram: int | None = None) -> str:
    """PostgreSQL's own page cache: an eighth of the machine's memory, between the default
    128 MB and 2 GB. At 128 MB the per-type counts, scores and indexes an incremental rescore
    or a follower page reads were evicted by every scan of the interaction log and came back
    from the OS cache (a 1 000-follower rescore took 55-70 ms instead of 35 ms). Unlike the
    settings above it needs a restart, which `ensure_server` does on a new data folder's
    first start."""
    if ram is None:
        try:
            ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (AttributeError, ValueError, OSError):  # no sysconf (Windows): the default
            ram = 0
    mb = min(max(ram // 8 // 2**20, 128), 2048)
    return f"{mb}MB"


def _sqlalchemy_url(uri: str) -> str:
    return uri.replace("postgresql://", "postgresql+psycopg://", 1)
