"""The functions of fanlens.db.sql applied again: both scoring statements score through
fanlens_score_ctes, the score rows and content totals are written through fanlens_upsert, and
the tier counts follow inserted, updated and deleted score rows through one statement.

The replaced bodies did the same work, so a downgrade keeps the current ones.

Created 2026-12-06.
"""

from alembic import op

from fanlens.db import sql

revision = "scoring_ctes"
down_revision = "user_scope"


def upgrade() -> None:
    sql.apply(op.get_bind())


def downgrade() -> None:
    pass
