"""Live connections' outages: when each began and ended, and the cursor the reconnect resumed
from (shown on the data-health page).

Created 2026-12-06.
"""

from alembic import op

revision = "live_gaps"
down_revision = "interaction_changes"


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE live_gaps (
            id uuid DEFAULT gen_random_uuid() CONSTRAINT pk_live_gaps PRIMARY KEY,
            account_id uuid NOT NULL
                CONSTRAINT fk_live_gaps_account_id_accounts REFERENCES accounts (id)
                    ON DELETE CASCADE,
            source text NOT NULL,
            started_at timestamptz DEFAULT now() NOT NULL,
            ended_at timestamptz,
            since_cursor bigint,
            error text NOT NULL
        )
        """
    )
    op.execute(
        "CREATE INDEX ix_live_gaps_account_id_started_at ON live_gaps (account_id, started_at)"
    )


def downgrade() -> None:
    op.drop_table("live_gaps")
