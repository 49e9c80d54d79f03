"""Engine and sessions. One engine per process; sessions never commit inside services."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, Select, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.dml import UpdateBase

from fanlens.config import settings
from fanlens.db import embedded

log = logging.getLogger(__name__)


def database_url() -> str:
    """The configured PostgreSQL URL, starting the embedded server when none is configured."""
    url = settings.database_url_or_none()
    if url is None:
        return embedded.ensure_server(settings.data_dir)
    return normalize_url(url)


def normalize_url(url: str) -> str:
    """Accept postgres:// and postgresql:// URLs and use the psycopg 3 driver for them."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    if parsed.drivername in ("postgresql", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def describe_location() -> str:
    """Where the data lives, for humans (passwords hidden)."""
    url = settings.database_url_or_none()
    if url is None:
        return f"embedded PostgreSQL in {embedded.pgdata_path(settings.data_dir)}"
    return make_url(normalize_url(url)).render_as_string(hide_password=True)


@lru_cache(maxsize=8)
def _engine_for(url: str) -> Engine:
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


def get_engine() -> Engine:
    return _engine_for(database_url())


def engine_for(url: str) -> Engine:
    """The engine of a database URL already resolved (a child process's)."""
    return _engine_for(url)


def session_factory(engine: Engine | None = None) -> sessionmaker[Session]:
    return sessionmaker(bind=engine or get_engine(), expire_on_commit=False)


@contextmanager
def unit_of_work(engine: Engine | None = None) -> Iterator[Session]:
    """The single commit point of a CLI command or job: commit on success, roll back on error."""
    with committed(session_factory(engine)) as session:
        yield session


@contextmanager
def committed(factory: Callable[[], Session]) -> Iterator[Session]:
    """A session from `factory`, committed when the block ends, rolled back if it raises."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# --- read replica ---------------------------------------------------------------------------------

REPLICA_CHECK_SECONDS = 2.0  # how long one look at the replica's lag is trusted
REPLICA_CONNECT_TIMEOUT = 2  # seconds: a replica that does not answer is soon left aside

# Seconds the replica's replay is behind: 0 when it has replayed all it received (an idle
# primary sends nothing, so the last replayed commit's age alone would read as lag); NULL when
# WAL waits and nothing was replayed since the standby started (unknown: left aside).
_LAG = text("""
SELECT CASE
    WHEN NOT pg_is_in_recovery() THEN 0
    WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
    ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp())
END AS lag
""")


def replica_url() -> str | None:
    url = settings.replica_url_or_none()
    return normalize_url(url) if url else None


def configured_replica() -> Engine | None:
    """The engine of FANLENS_DATABASE_REPLICA_URL, or None when it is unset."""
    url = replica_url()
    if url is None:
        return None
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=10,
        connect_args={"connect_timeout": REPLICA_CONNECT_TIMEOUT},
    )


class ReplicaSession(Session):
    """Reads on the replica; flushes, INSERT/UPDATE/DELETE and SELECT … FOR UPDATE on the
    primary. A read request that writes a little on its way (a token's or a dashboard
    session's last-seen stamp) sends that write to the primary without asking; commit ends
    both transactions (the replica's holds only reads)."""

    def __init__(self, *, primary: Engine, replica: Engine, **kw: Any) -> None:
        super().__init__(**kw)
        self.primary, self.replica = primary, replica

    def get_bind(self, mapper: Any = None, clause: Any = None, **kw: Any) -> Engine:
        if self._flushing or isinstance(clause, UpdateBase) or _locks_rows(clause):
            return self.primary
        return self.replica


def _locks_rows(clause: Any) -> bool:
    return isinstance(clause, Select) and clause._for_update_arg is not None


def on_replica(session: Session) -> bool:
    """Whether the session reads from a replica (a hot standby refuses writes in SQL text)."""
    return isinstance(session, ReplicaSession)


class Replica:
    """A streaming replica and whether reads may go there now: it answers and its replay is
    at most FANLENS_REPLICA_MAX_LAG_SECONDS behind. The look is cached for
    REPLICA_CHECK_SECONDS per process, and one thread looks while the others use the last
    answer."""

    def __init__(self, replica: Engine, primary: Engine) -> None:
        self.engine = replica
        self.factory = sessionmaker(
            class_=ReplicaSession, primary=primary, replica=replica, expire_on_commit=False
        )
        self._usable = False
        self._checked = float("-inf")
        self._checking = threading.Lock()

    def usable(self) -> bool:
        stale = time.monotonic() - self._checked >= REPLICA_CHECK_SECONDS
        if stale and self._checking.acquire(blocking=False):  # one thread looks; others go on
            try:
                self._usable = self._check()
                self._checked = time.monotonic()
            finally:
                self._checking.release()
        return self._usable

    def lag(self) -> float | None:
        """Seconds behind the primary; None when unknown."""
        with self.engine.connect() as conn:
            value = conn.execute(_LAG).scalar()
        return None if value is None else float(value)

    def _check(self) -> bool:
        try:
            lag = self.lag()
        except (SQLAlchemyError, OSError) as exc:
            log.warning("read replica unreachable, reading from the primary: %s", exc)
            return False
        if lag is None or lag > settings.replica_max_lag_seconds:
            log.warning("read replica %s s behind, reading from the primary", lag)
            return False
        return True

    def mark_down(self) -> None:
        self._usable, self._checked = False, time.monotonic()

    def read_session(self) -> Session | None:
        """A session reading from the replica, or None when reads should go to the primary.
        Its connection is taken at once, so a replica stopped since the last look is seen
        here, before the request's work starts, and not halfway through it."""
        if not self.usable():
            return None
        session = self.factory()
        try:
            session.connection()
        except (SQLAlchemyError, OSError) as exc:
            session.close()
            self.mark_down()
            log.warning("read replica unreachable, reading from the primary: %s", exc)
            return None
        return session
