"""Read rollups II: follower_tier_counts and interaction_platform_days, kept by triggers.

Revision ID: 0016
Revises: 0014
Create Date: 2026-11-26 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fanlens.db.migrate import read_sql

revision: str = "0016"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _table(name: str, *columns: sa.Column, unique: list[str]) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        *columns,
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f(f"fk_{name}_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        sa.UniqueConstraint(*unique, name=op.f(f"uq_{name}_{'_'.join(unique)}")),
    )


def upgrade() -> None:
    _table(
        "follower_tier_counts",
        sa.Column("platform", sa.Text(), nullable=False),
        sa.Column("tier", sa.Text(), nullable=False),
        sa.Column("followers", sa.BigInteger(), nullable=False),
        sa.Column("interactions", sa.BigInteger(), nullable=False),
        unique=["workspace_id", "platform", "tier"],
    )
    _table(
        "interaction_platform_days",
        sa.Column("platform", sa.Text(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("interaction_count", sa.BigInteger(), nullable=False),
        unique=["workspace_id", "platform", "day"],
    )
    op.execute(read_sql("0016_rollups.sql"))


def downgrade() -> None:
    op.execute(read_sql("0016_drop.sql"))
    op.drop_table("interaction_platform_days")
    op.drop_table("follower_tier_counts")
