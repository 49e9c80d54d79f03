"""The functions of fanlens.db.sql applied again: the cascades from followers, posts and content
items delete the interactions of the deleted row's workspace only, a post's new content id
reaches the interactions of its own workspace only, and the retention and workspace-rescore
statements match follower rows by follower id and workspace_id.

No data changes, so a downgrade keeps the current functions.

Created 2026-12-07.
"""

from alembic import op

from fanlens.db import sql

revision = "workspace_statements"
down_revision = "people_outreach_keys"


def upgrade() -> None:
    sql.apply(op.get_bind())


def downgrade() -> None:
    pass
