"""The functions of fanlens.db.sql applied again, with the username search's trigram index:
where the server has pg_trgm, the extension is created in schema extensions and followers get
`ix_followers_username_trgm` (GIN on `lower(username)`). Building it holds writes to followers
for its duration (seconds per 100 000 followers). Without pg_trgm, nothing changes.

The downgrade drops the index; the extension stays (other objects may use it).

Created 2026-12-07.
"""

from alembic import op

from fanlens.db import sql

revision = "username_trigram"
down_revision = "replay_tier_histories"


def upgrade() -> None:
    sql.apply(op.get_bind())


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_followers_username_trgm")
