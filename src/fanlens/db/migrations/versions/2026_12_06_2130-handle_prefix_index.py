"""Finding a person by the start of a handle reads followers' lower-case usernames in byte
order (text_pattern_ops), so a prefix is an index range under any collation.

Revision ID: handle_prefix_index
Revises: scoring_ctes
Create Date: 2026-12-06 21:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "handle_prefix_index"
down_revision: str | None = "scoring_ctes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX ix_followers_workspace_id_lower_username_pattern"
        " ON followers (workspace_id, lower(username) text_pattern_ops)"
    )


def downgrade() -> None:
    op.drop_index("ix_followers_workspace_id_lower_username_pattern", table_name="followers")
