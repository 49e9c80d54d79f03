"""Trigger statements joining old and new transition tables are planned on every call.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-26 17:00:00
"""

from collections.abc import Sequence

from alembic import op

from fanlens.db.migrate import read_sql

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(read_sql("0017_transition_joins.sql"))


def downgrade() -> None:
    op.execute(read_sql("0017_drop.sql"))
