"""Dashboard users get a scope, as API tokens have: `read` users see the pages, `write` users
may also use their buttons. Existing users keep what they could do (`write`).

Revision ID: user_scope
Revises: baseline
Create Date: 2026-12-06 20:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "user_scope"
down_revision: str | None = "baseline"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE users ADD COLUMN scope text DEFAULT 'write' NOT NULL"
        " CONSTRAINT ck_users_scope CHECK (scope IN ('read', 'write'))"
    )


def downgrade() -> None:
    op.drop_column("users", "scope")
