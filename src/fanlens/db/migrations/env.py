"""Alembic environment: runs on a connection handed in by fanlens, or makes one from settings."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine, pool

from fanlens.db import sql
from fanlens.models import Base

target_metadata = Base.metadata


def _include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    # procrastinate keeps its own tables in the same database; they are not ours to diff, nor
    # the indexes fanlens.db.sql makes where the server allows them.
    if type_ == "index":
        return name not in sql.INDEXES
    return not (type_ == "table" and name is not None and name.startswith("procrastinate"))


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from fanlens.db.engine import database_url

    engine = create_engine(database_url(), poolclass=pool.NullPool)
    with engine.begin() as conn:
        _run(conn)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=_include_object,
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
