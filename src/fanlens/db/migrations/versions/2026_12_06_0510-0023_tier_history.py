"""Tier history at behaviour time: changes replayed from the log and dated at the interaction
that made them; config changes are their own kind.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fanlens.db.migrate import read_sql

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "follower_tier_changes",
        sa.Column("kind", sa.Text(), server_default="behaviour", nullable=False),
    )
    op.add_column(
        "follower_tier_changes",
        sa.Column("time_precision", sa.Text(), server_default="exact", nullable=False),
    )
    op.create_check_constraint(
        op.f("ck_follower_tier_changes_kind"),
        "follower_tier_changes",
        "kind IN ('behaviour', 'config')",
    )
    op.create_check_constraint(
        op.f("ck_follower_tier_changes_time_precision"),
        "follower_tier_changes",
        "time_precision IN ('exact', 'observed')",
    )
    op.execute(read_sql("0023_tier_history.sql"))


def downgrade() -> None:
    op.execute(read_sql("0023_drop.sql"))
    op.drop_constraint(
        op.f("ck_follower_tier_changes_time_precision"), "follower_tier_changes", type_="check"
    )
    op.drop_constraint(
        op.f("ck_follower_tier_changes_kind"), "follower_tier_changes", type_="check"
    )
    op.drop_column("follower_tier_changes", "time_precision")
    op.drop_column("follower_tier_changes", "kind")
