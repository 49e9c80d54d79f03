"""Live connections' outages: when each began and ended, and the cursor the reconnect resumed
from (shown on the data-health page).

Revision ID: live_gaps
Revises: interaction_changes
Create Date: 2026-12-06 22:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "live_gaps"
down_revision: str | None = "interaction_changes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


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
