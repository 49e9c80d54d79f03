"""Schema migrations through Alembic, callable from the CLI, the server and tests."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

SQL_DIR = Path(str(resources.files("fanlens.db") / "sql"))


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config(str(resources.files("fanlens.db") / "alembic.ini"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), revision)


def downgrade(engine: Engine, revision: str) -> None:
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def read_sql(name: str) -> str:
    """SQL kept as files so a reviewer reads functions and views as SQL, not Python strings."""
    return (SQL_DIR / name).read_text(encoding="utf-8")
