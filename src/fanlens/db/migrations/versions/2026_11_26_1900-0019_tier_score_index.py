"""Followers of one tier by score: the tier index also orders by score.

A page of the `active` tier by score walked the score index past every super fan first (8 000
rows, 15 ms on the medium world); with the score in the tier index it reads the page's rows only.
It replaces the (workspace_id, engagement_tier) index, which it also serves, so a score write
still maintains three indexes.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-26 19:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "follower_engagement_scores"


def upgrade() -> None:
    op.drop_index("ix_follower_engagement_scores_workspace_id_engagement_tier", table_name=TABLE)
    op.execute(
        f"CREATE INDEX ix_follower_engagement_scores_workspace_id_tier_score ON {TABLE} "
        "(workspace_id, engagement_tier, engagement_score DESC)"
    )


def downgrade() -> None:
    op.drop_index("ix_follower_engagement_scores_workspace_id_tier_score", table_name=TABLE)
    op.create_index(
        "ix_follower_engagement_scores_workspace_id_engagement_tier",
        TABLE,
        ["workspace_id", "engagement_tier"],
    )
