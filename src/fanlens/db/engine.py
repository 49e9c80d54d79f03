"""Engine and sessions. One engine per process; sessions never commit inside services."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from fanlens.config import settings
from fanlens.db import embedded


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
def committed(factory: sessionmaker[Session]) -> Iterator[Session]:
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
