"""The functions of fanlens.db.sql applied again: both scoring statements score through
fanlens_score_ctes, the score rows and content totals are written through fanlens_upsert, and
the tier counts follow inserted, updated and deleted score rows through one statement.

The replaced bodies did the same work, so a downgrade keeps the current ones.

Revision ID: scoring_ctes
Revises: user_scope
Create Date: 2026-12-06 21:00:00
"""

from collections.abc import Sequence

from alembic import op

from fanlens.db import sql

revision: str = "scoring_ctes"
down_revision: str | None = "user_scope"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    sql.apply(op.get_bind())


def downgrade() -> None:
    pass
