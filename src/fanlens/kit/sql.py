"""Small SQL helpers shared by repositories."""

from __future__ import annotations

from typing import Any

from psycopg.rows import dict_row
from sqlalchemy import ClauseElement, bindparam
from sqlalchemy.dialects.postgresql.psycopg import dialect as psycopg_dialect
from sqlalchemy.orm import Session

_DIALECT = psycopg_dialect()


def escape_like(text_: str) -> str:
    """User text made literal inside a LIKE pattern (use with escape='\\')."""
    return text_.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def param(name: str, type_: Any = None) -> Any:
    """A named parameter of a `DriverStatement`, written where the statement takes a value
    (typed Any so builders typed for values accept it)."""
    return bindparam(name, type_=type_)


class DriverStatement:
    """A statement compiled once to psycopg's SQL, run on a session's connection by psycopg.

    For the API's hot reads: SQLAlchemy's work per execution (cache key, ORM context, result
    rows) costs about 1 ms of CPU per statement, more than PostgreSQL spends answering these
    index lookups. The statement stays a SQLAlchemy construct (one definition, also used for
    CSV exports); its parameters must be named `bindparam`s, passed by name to `rows`."""

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
        driver = session.connection().connection.driver_connection
        with driver.cursor(row_factory=dict_row) as cur:  # type: ignore[union-attr]
            cur.execute(self.sql, {**self.defaults, **params})
            return cur.fetchall()
