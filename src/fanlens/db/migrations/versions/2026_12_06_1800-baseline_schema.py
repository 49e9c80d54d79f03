"""The schema: the tables, indexes and constraints of the .sql file beside this one, then the
functions, triggers and views of fanlens.db.sql, then the default workspace (its scoring config
comes from a trigger).

A database built by the migrations this one replaced (their last revision "0023") holds the same
schema; `fanlens.db.migrate.upgrade` moves it to this revision without rebuilding it.

Created 2026-12-06.
"""

import re
from pathlib import Path

from alembic import op

from fanlens.db import sql

revision = "baseline"
down_revision = None

TABLES = Path(__file__).with_suffix(".sql").read_text(encoding="utf-8")


def upgrade() -> None:
    sql.run(op.get_bind(), TABLES)
    sql.apply(op.get_bind())
    op.execute("INSERT INTO workspaces (name) VALUES ('default')")


def downgrade() -> None:
    sql.drop(op.get_bind())
    for table in reversed(re.findall(r"^CREATE TABLE (\w+)", TABLES, re.MULTILINE)):
        op.drop_table(table)
