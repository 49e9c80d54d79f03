"""Incremental rescoring of up to 5 000 followers through a statement with a cached plan.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-26 18:00:00
"""

from collections.abc import Sequence

from alembic import op

from fanlens.db.migrate import read_sql

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(read_sql("0018_score_list.sql"))


def downgrade() -> None:
    op.execute(read_sql("0018_drop.sql"))
