"""Full rescore as a parallel check against the log; only drifted followers are rewritten.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-26 15:00:00
"""

from collections.abc import Sequence

from alembic import op

from fanlens.db.migrate import read_sql

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(read_sql("0014_full_rescore.sql"))


def downgrade() -> None:
    op.execute(read_sql("0014_drop.sql"))
