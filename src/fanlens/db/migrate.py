"""Schema migrations through Alembic, callable from the CLI, the server and tests."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from fanlens.db import sql

# A database built by the migrations that the baseline replaced stands at this revision with
# the baseline's schema, plus functions that fanlens.db.sql no longer defines.
REPLACED_HEAD = "0023"
BASELINE = "baseline"
RETIRED_FUNCTIONS = (
    "fanlens_score_follower_list(uuid[])",
    "fanlens_score_followers_from_lines(uuid[], uuid)",
    "fanlens_daily_counts_inserted()",
    "fanlens_daily_counts_deleted()",
    "fanlens_daily_counts_updated()",
)


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config(str(resources.files("fanlens.db") / "alembic.ini"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    with engine.begin() as conn:
        _adopt_replaced_head(conn)
        command.upgrade(alembic_config(conn), revision)


def _adopt_replaced_head(conn: Connection) -> None:
    """Move a database at REPLACED_HEAD to the baseline: its tables are the baseline's, so it
    is stamped, and its functions, triggers and views are replaced by the current ones."""
    if MigrationContext.configure(conn).get_current_revision() != REPLACED_HEAD:
        return
    sql.apply(conn)  # rebinds the triggers, so no retired function is in use any more
    for signature in RETIRED_FUNCTIONS:
        conn.execute(text(f"DROP FUNCTION IF EXISTS {signature}"))
    conn.execute(text("UPDATE alembic_version SET version_num = :baseline"), {"baseline": BASELINE})


def downgrade(engine: Engine, revision: str) -> None:
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
