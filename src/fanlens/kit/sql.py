"""Small SQL helpers shared by repositories."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from functools import lru_cache
from typing import Any, Generic, TypeVar, cast

import psycopg
from psycopg.rows import dict_row
from sqlalchemy import ClauseElement, Engine, Executable, Row, bindparam
from sqlalchemy.dialects.postgresql.psycopg import dialect as psycopg_dialect
from sqlalchemy.orm import Session

S = TypeVar("S", bound=Hashable)
_DIALECT = psycopg_dialect()
STREAM_BATCH = 1000


def escape_like(text_: str) -> str:
    """User text made literal inside a LIKE pattern (use with escape='\\')."""
    return text_.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def handle_contains(q: str) -> str:
    """A LIKE pattern (escape '\\') for lower-case usernames holding `q` anywhere: a leading
    '@' and case are ignored, wildcards in `q` are literal."""
    return f"%{escape_like(q.lstrip('@').lower())}%"


def param(name: str, type_: Any = None) -> Any:
    """A named parameter of a `DriverStatement`, written where the statement takes a value
    (typed Any so builders typed for values accept it)."""
    return bindparam(name, type_=type_)


def stream(engine: Engine, stmt: Executable) -> Iterator[Row[Any]]:
    """Every row through a server-side cursor on a connection of its own, so an export of
    millions of rows holds one batch in memory and outlives the request's session."""
    with engine.connect() as conn:
        yield from conn.execution_options(stream_results=True, yield_per=STREAM_BATCH).execute(stmt)


def driver_connection(session: Session) -> psycopg.Connection[Any]:
    """The psycopg connection under the session's: what runs on it is part of the session's
    transaction and is committed or rolled back with it."""
    driver = session.connection().connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    return driver


class DriverStatement:
    """A statement compiled once to psycopg's SQL, run on the session's connection.

    For the API's hot reads: SQLAlchemy's work per execution (cache key, ORM context, result
    rows) costs about 1 ms of CPU per statement, more than PostgreSQL spends answering these
    index lookups. Even `exec_driver_sql` (result metadata per execution) adds about 0.08 ms
    to each of these statements over a psycopg cursor on the same connection. The statement
    stays a SQLAlchemy construct (one definition, also used for CSV exports); its parameters
    must be named `bindparam`s, passed by name to `rows`."""

    def __init__(self, stmt: ClauseElement) -> None:
        self.stmt = stmt
        compiled = stmt.compile(dialect=_DIALECT)
        self.sql = str(compiled)
        self.defaults: dict[str, Any] = dict(compiled.params)
        self.required = {name for name, value in self.defaults.items() if value is None}

    def rows(self, session: Session, **params: Any) -> list[dict[str, Any]]:
        """The rows as dicts, read inside the session's transaction."""
        if missing := self.required - params.keys():  # else NULL: no rows, and no error
            raise TypeError(f"parameters not given: {', '.join(sorted(missing))}")
        with driver_connection(session).cursor(row_factory=dict_row) as cur:
            cur.execute(self.sql, {**self.defaults, **params})
            return cur.fetchall()

    def stream(self, engine: Engine, **params: Any) -> Iterator[Row[Any]]:
        """Every row, as `stream` reads them (a CSV export)."""
        return stream(engine, cast(Executable, self.stmt.params(params)))


class ShapedStatement(Generic[S]):
    """A list statement built from its shape (a hashable description of which filters it has,
    its sort and paging; the filters' values are parameters) and compiled once per shape, so
    every page of a list, and its CSV export, reuses one `DriverStatement`."""

    def __init__(self, build: Callable[[S], ClauseElement], *, cache: int) -> None:
        def compiled(shape: S) -> DriverStatement:
            return DriverStatement(build(shape))

        self.compiled = lru_cache(maxsize=cache)(compiled)

    def page(
        self, session: Session, shape: S, params: dict[str, Any], *, limit: int
    ) -> list[dict[str, Any]]:
        """Up to `limit` rows of a page (a paged shape)."""
        return self.compiled(shape).rows(session, **params, limit=limit)

    def stream(self, engine: Engine, shape: S, params: dict[str, Any]) -> Iterator[Row[Any]]:
        """Every row of an unpaged shape (a CSV export)."""
        return self.compiled(shape).stream(engine, **params)
