"""Edited and deleted interactions: `follower_interactions.edited_at`, and `interaction_changes`
holding each interaction's latest edit or its delete (the tombstone that keeps a deleted
interaction from being stored again). A text edit drops the comment's sentiment so it is
analysed again (db/sql/sentiment.sql).

Created 2026-12-06.
"""

from alembic import op

from fanlens.db import sql

revision = "interaction_changes"
down_revision = "handle_prefix_index"


def upgrade() -> None:
    op.execute("ALTER TABLE follower_interactions ADD COLUMN edited_at timestamptz")
    op.execute(
        """
CREATE TABLE interaction_changes (
    id uuid DEFAULT gen_random_uuid() CONSTRAINT pk_interaction_changes PRIMARY KEY,
    platform text NOT NULL,
    dedup_key uuid NOT NULL,
    interaction_type text NOT NULL,
    external_id text,
    deleted_at timestamptz,
    edited_at timestamptz,
    edited_text text,
    recorded_at timestamptz DEFAULT now() NOT NULL,
    workspace_id uuid NOT NULL
        CONSTRAINT fk_interaction_changes_workspace_id_workspaces REFERENCES workspaces (id)
            ON DELETE CASCADE,
    CONSTRAINT uq_interaction_changes_workspace_id_platform_dedup_key
        UNIQUE (workspace_id, platform, dedup_key)
)"""
    )
    sql.apply(op.get_bind())


def downgrade() -> None:
    op.execute(
        "DROP TRIGGER IF EXISTS trg_follower_interactions_edit_sentiments ON follower_interactions"
    )
    op.execute("DROP FUNCTION IF EXISTS fanlens_interactions_edit_sentiments()")
    op.drop_table("interaction_changes")
    op.drop_column("follower_interactions", "edited_at")
