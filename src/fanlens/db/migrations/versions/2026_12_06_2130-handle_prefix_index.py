"""Finding a person by the start of a handle reads followers' lower-case usernames in byte
order (text_pattern_ops), so a prefix is an index range under any collation.

Created 2026-12-06.
"""

from alembic import op

revision = "handle_prefix_index"
down_revision = "scoring_ctes"


def upgrade() -> None:
    op.execute(
        "CREATE INDEX ix_followers_workspace_id_lower_username_pattern"
        " ON followers (workspace_id, lower(username) text_pattern_ops)"
    )


def downgrade() -> None:
    op.drop_index("ix_followers_workspace_id_lower_username_pattern", table_name="followers")
