"""Dashboard users get a scope, as API tokens have: `read` users see the pages, `write` users
may also use their buttons. Existing users keep what they could do (`write`).

Created 2026-12-06.
"""

from alembic import op

revision = "user_scope"
down_revision = "baseline"


def upgrade() -> None:
    op.execute(
        "ALTER TABLE users ADD COLUMN scope text DEFAULT 'write' NOT NULL"
        " CONSTRAINT ck_users_scope CHECK (scope IN ('read', 'write'))"
    )


def downgrade() -> None:
    op.drop_column("users", "scope")
