"""Scoring performance: a counts-only scoring statement when no recency rule applies, a full
rescore in one pass over the interaction log, interaction triggers that lock in id order.

Revision ID: 0008
Revises: 0003
Create Date: 2026-11-26 12:00:00
"""

from collections.abc import Sequence

from alembic import op

from fanlens.db.migrate import read_sql

revision: str = "0008"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(read_sql("0008_scoring_perf.sql"))


def downgrade() -> None:
    op.execute(read_sql("0008_drop.sql"))
