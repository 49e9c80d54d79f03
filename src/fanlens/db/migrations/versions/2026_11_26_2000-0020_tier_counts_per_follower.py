"""The tier rollup after a score update looks each follower up once, and only if it changed.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-26 20:00:00
"""

from collections.abc import Sequence

from alembic import op

from fanlens.db.migrate import read_sql

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(read_sql("0020_tier_counts_per_follower.sql"))


def downgrade() -> None:
    op.execute(read_sql("0020_drop.sql"))
