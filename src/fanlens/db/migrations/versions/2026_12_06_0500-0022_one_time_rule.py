"""One time rule: only exact-time interactions date first/last seen, daily rollups and retention.

Observed-time interactions (the time fanlens saw them) go to the daily rollups' day NULL bucket,
"time unknown".

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fanlens.db.migrate import read_sql

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PLATFORM_DAYS_KEY = "uq_interaction_platform_days_workspace_id_platform_day"


def _platform_days_key(*, nulls_not_distinct: bool) -> None:
    op.drop_constraint(_PLATFORM_DAYS_KEY, "interaction_platform_days", type_="unique")
    op.create_unique_constraint(
        _PLATFORM_DAYS_KEY,
        "interaction_platform_days",
        ["workspace_id", "platform", "day"],
        postgresql_nulls_not_distinct=nulls_not_distinct,
    )


def upgrade() -> None:
    op.alter_column("interaction_daily_counts", "day", existing_type=sa.Date(), nullable=True)
    op.alter_column("interaction_platform_days", "day", existing_type=sa.Date(), nullable=True)
    _platform_days_key(nulls_not_distinct=True)
    op.execute(read_sql("0022_one_time_rule.sql"))


def downgrade() -> None:
    op.execute(read_sql("0022_drop.sql"))
    _platform_days_key(nulls_not_distinct=False)
    op.alter_column("interaction_platform_days", "day", existing_type=sa.Date(), nullable=False)
    op.alter_column("interaction_daily_counts", "day", existing_type=sa.Date(), nullable=False)
