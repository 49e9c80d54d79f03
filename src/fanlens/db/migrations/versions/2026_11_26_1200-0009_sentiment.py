"""Comment sentiment: comment_sentiments, sentiment_alerts, the delete trigger, text indexes.

Revision ID: 0009
Revises: 0006 (the lead re-chains it at merge)
Create Date: 2026-11-26 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fanlens.db.migrate import read_sql

revision: str = "0009"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT_FILTER = (
    "interaction_type IN ('comment', 'reply', 'quote', 'mention') AND interaction_value IS NOT NULL"
)


def _workspace_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["workspace_id"],
        ["workspaces.id"],
        name=op.f(f"fk_{table}_workspace_id_workspaces"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "comment_sentiments",
        sa.Column("interaction_id", sa.UUID(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("language", sa.Text(), nullable=False),
        sa.Column("analyser", sa.Text(), nullable=False),
        sa.Column("analyser_version", sa.Text(), nullable=False),
        sa.Column("is_question", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("corrected_label", sa.Text(), nullable=True),
        sa.Column("corrected_by", sa.Text(), nullable=True),
        sa.Column("corrected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "analysed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.CheckConstraint(
            "label IN ('positive', 'neutral', 'negative', 'unsupported_language')",
            name=op.f("ck_comment_sentiments_label"),
        ),
        sa.CheckConstraint(
            "corrected_label IN ('positive', 'neutral', 'negative')",
            name=op.f("ck_comment_sentiments_corrected_label"),
        ),
        sa.CheckConstraint(
            "score >= -1 AND score <= 1", name=op.f("ck_comment_sentiments_score_range")
        ),
        _workspace_fk("comment_sentiments"),
        sa.PrimaryKeyConstraint("interaction_id", name=op.f("pk_comment_sentiments")),
    )
    op.create_index(
        "ix_comment_sentiments_workspace_id_corrected_at",
        "comment_sentiments",
        ["workspace_id", "corrected_at"],
        postgresql_where=sa.text("corrected_label IS NOT NULL"),
    )
    op.create_table(
        "sentiment_alerts",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("content_id", sa.UUID(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("negative_count", sa.Integer(), nullable=False),
        sa.Column("comment_count", sa.Integer(), nullable=False),
        sa.Column("negative_share", sa.Numeric(), nullable=False),
        sa.Column("baseline_share", sa.Numeric(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["content_id"],
            ["content_items.id"],
            name=op.f("fk_sentiment_alerts_content_id_content_items"),
            ondelete="CASCADE",
        ),
        _workspace_fk("sentiment_alerts"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sentiment_alerts")),
        sa.UniqueConstraint(
            "workspace_id",
            "content_id",
            "day",
            name=op.f("uq_sentiment_alerts_workspace_id_content_id_day"),
        ),
    )
    op.create_index(
        "ix_follower_interactions_text_workspace_id_id",
        "follower_interactions",
        ["workspace_id", "id"],
        postgresql_where=sa.text(TEXT_FILTER),
    )
    op.create_index(
        "ix_follower_interactions_workspace_id_parent_external_id",
        "follower_interactions",
        ["workspace_id", "parent_external_id"],
        postgresql_where=sa.text("parent_external_id IS NOT NULL"),
    )
    op.execute(read_sql("0009_sentiment.sql"))


def downgrade() -> None:
    op.execute(read_sql("0009_drop.sql"))
    op.drop_index(
        "ix_follower_interactions_workspace_id_parent_external_id",
        table_name="follower_interactions",
    )
    op.drop_index(
        "ix_follower_interactions_text_workspace_id_id", table_name="follower_interactions"
    )
    op.drop_table("sentiment_alerts")
    op.drop_index(
        "ix_comment_sentiments_workspace_id_corrected_at", table_name="comment_sentiments"
    )
    op.drop_table("comment_sentiments")
