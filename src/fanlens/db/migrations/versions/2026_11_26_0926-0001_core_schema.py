"""Core schema: workspaces, content, followers, interactions, scores; functions and views.

Revision ID: 0001
Revises:
Create Date: 2026-11-26 09:45:07.516441
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from fanlens.db.migrate import read_sql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "workspaces",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workspaces")),
        sa.UniqueConstraint("name", name=op.f("uq_workspaces_name")),
    )
    op.create_table(
        "content_items",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("slug", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_content_items_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_items")),
        sa.UniqueConstraint(
            "workspace_id", "slug", name=op.f("uq_content_items_workspace_id_slug")
        ),
    )
    op.create_table(
        "followers",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("platform", sa.Text(), nullable=False),
        sa.Column("external_user_id", sa.Text(), nullable=False),
        sa.Column("username", sa.Text(), nullable=True),
        sa.Column("display_name", sa.Text(), nullable=True),
        sa.Column("profile_url", sa.Text(), nullable=True),
        sa.Column("avatar_url", sa.Text(), nullable=True),
        sa.Column("follower_count", sa.BigInteger(), nullable=True),
        sa.Column("bio", sa.Text(), nullable=True),
        sa.Column("verified", sa.Boolean(), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_followers_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_followers")),
        sa.UniqueConstraint("workspace_id", "id", name=op.f("uq_followers_workspace_id_id")),
        sa.UniqueConstraint(
            "workspace_id",
            "platform",
            "external_user_id",
            name=op.f("uq_followers_workspace_id_platform_external_user_id"),
        ),
    )
    op.create_index(
        "ix_followers_workspace_id_first_seen_at",
        "followers",
        ["workspace_id", "first_seen_at"],
        unique=False,
    )
    op.create_index(
        "ix_followers_workspace_id_lower_username",
        "followers",
        ["workspace_id", sa.literal_column("lower(username)")],
        unique=False,
    )
    op.create_table(
        "content_posts",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("content_id", sa.UUID(), nullable=False),
        sa.Column("platform", sa.Text(), nullable=False),
        sa.Column("external_post_id", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("caption", sa.Text(), nullable=True),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("views", sa.BigInteger(), nullable=True),
        sa.Column("likes", sa.BigInteger(), nullable=True),
        sa.Column("comments", sa.BigInteger(), nullable=True),
        sa.Column("shares", sa.BigInteger(), nullable=True),
        sa.Column("saves", sa.BigInteger(), nullable=True),
        sa.Column(
            "extra_metrics",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("metrics_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("is_placeholder", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["content_id"],
            ["content_items.id"],
            name=op.f("fk_content_posts_content_id_content_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_content_posts_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_posts")),
        sa.UniqueConstraint("workspace_id", "id", name=op.f("uq_content_posts_workspace_id_id")),
        sa.UniqueConstraint(
            "workspace_id",
            "platform",
            "external_post_id",
            name=op.f("uq_content_posts_workspace_id_platform_external_post_id"),
        ),
    )
    op.create_index("ix_content_posts_content_id", "content_posts", ["content_id"], unique=False)
    op.create_index(
        "ix_content_posts_workspace_id_posted_at",
        "content_posts",
        ["workspace_id", "posted_at"],
        unique=False,
    )
    op.create_table(
        "content_tags",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("content_id", sa.UUID(), nullable=False),
        sa.Column("tag_type", sa.Text(), server_default=sa.text("'topic'"), nullable=False),
        sa.Column("tag_value", sa.Text(), nullable=False),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["content_id"],
            ["content_items.id"],
            name=op.f("fk_content_tags_content_id_content_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_content_tags_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_tags")),
        sa.UniqueConstraint(
            "content_id",
            "tag_type",
            "tag_value",
            name=op.f("uq_content_tags_content_id_tag_type_tag_value"),
        ),
    )
    op.create_index(
        "ix_content_tags_workspace_id_tag_type_tag_value",
        "content_tags",
        ["workspace_id", "tag_type", "tag_value"],
        unique=False,
    )
    op.create_table(
        "follower_engagement_scores",
        sa.Column("follower_id", sa.UUID(), nullable=False),
        sa.Column("engagement_score", sa.Numeric(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "engagement_tier", sa.Text(), server_default=sa.text("'inactive'"), nullable=False
        ),
        sa.Column("comment_count", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("like_count", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("share_count", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("save_count", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "profile_visit_count", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("link_click_count", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("other_count", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "interaction_count", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("first_interaction_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_interaction_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("config_version", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "computed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["follower_id"],
            ["followers.id"],
            name=op.f("fk_follower_engagement_scores_follower_id_followers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_follower_engagement_scores_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("follower_id", name=op.f("pk_follower_engagement_scores")),
    )
    op.create_index(
        "ix_follower_engagement_scores_workspace_id_engagement_score",
        "follower_engagement_scores",
        ["workspace_id", sa.literal_column("engagement_score DESC")],
        unique=False,
    )
    op.create_index(
        "ix_follower_engagement_scores_workspace_id_engagement_tier",
        "follower_engagement_scores",
        ["workspace_id", "engagement_tier"],
        unique=False,
    )
    op.create_table(
        "follower_interaction_counts",
        sa.Column("follower_id", sa.UUID(), nullable=False),
        sa.Column("interaction_type", sa.Text(), nullable=False),
        sa.Column(
            "interaction_count", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("first_interaction_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_interaction_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["follower_id"],
            ["followers.id"],
            name=op.f("fk_follower_interaction_counts_follower_id_followers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_follower_interaction_counts_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "follower_id", "interaction_type", name=op.f("pk_follower_interaction_counts")
        ),
    )
    op.create_table(
        "follower_interactions",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("follower_id", sa.UUID(), nullable=False),
        sa.Column("content_id", sa.UUID(), nullable=True),
        sa.Column("content_post_id", sa.UUID(), nullable=True),
        sa.Column("platform", sa.Text(), nullable=False),
        sa.Column("interaction_type", sa.Text(), nullable=False),
        sa.Column("interaction_value", sa.Text(), nullable=True),
        sa.Column("external_id", sa.Text(), nullable=True),
        sa.Column("parent_external_id", sa.Text(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("time_precision", sa.Text(), server_default="exact", nullable=False),
        sa.Column(
            "observed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("dedup_key", sa.UUID(), nullable=False),
        sa.CheckConstraint(
            "time_precision IN ('exact', 'observed')",
            name=op.f("ck_follower_interactions_time_precision"),
        ),
        sa.ForeignKeyConstraint(
            ["content_id"],
            ["content_items.id"],
            name=op.f("fk_follower_interactions_content_id_content_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id", "content_post_id"],
            ["content_posts.workspace_id", "content_posts.id"],
            name=op.f("fk_follower_interactions_workspace_id_content_posts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id", "follower_id"],
            ["followers.workspace_id", "followers.id"],
            name=op.f("fk_follower_interactions_workspace_id_followers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follower_interactions")),
        sa.UniqueConstraint(
            "workspace_id",
            "platform",
            "dedup_key",
            name=op.f("uq_follower_interactions_workspace_id_platform_dedup_key"),
        ),
    )
    op.create_index(
        "ix_follower_interactions_content_id_occurred_at",
        "follower_interactions",
        ["content_id", "occurred_at"],
        unique=False,
    )
    op.create_index(
        "ix_follower_interactions_content_post_id",
        "follower_interactions",
        ["content_post_id"],
        unique=False,
    )
    op.create_index(
        "ix_follower_interactions_follower_id_occurred_at",
        "follower_interactions",
        ["follower_id", "occurred_at"],
        unique=False,
    )
    op.create_index(
        "ix_follower_interactions_workspace_id_occurred_at",
        "follower_interactions",
        ["workspace_id", "occurred_at"],
        unique=False,
    )

    op.execute(read_sql("0001_functions.sql"))
    op.execute(read_sql("0001_views.sql"))
    op.execute("INSERT INTO workspaces (name) VALUES ('default')")


def downgrade() -> None:
    op.execute(read_sql("0001_drop.sql"))
    op.drop_index(
        "ix_follower_interactions_workspace_id_occurred_at", table_name="follower_interactions"
    )
    op.drop_index(
        "ix_follower_interactions_follower_id_occurred_at", table_name="follower_interactions"
    )
    op.drop_index("ix_follower_interactions_content_post_id", table_name="follower_interactions")
    op.drop_index(
        "ix_follower_interactions_content_id_occurred_at", table_name="follower_interactions"
    )
    op.drop_table("follower_interactions")
    op.drop_table("follower_interaction_counts")
    op.drop_index(
        "ix_follower_engagement_scores_workspace_id_engagement_tier",
        table_name="follower_engagement_scores",
    )
    op.drop_index(
        "ix_follower_engagement_scores_workspace_id_engagement_score",
        table_name="follower_engagement_scores",
    )
    op.drop_table("follower_engagement_scores")
    op.drop_index("ix_content_tags_workspace_id_tag_type_tag_value", table_name="content_tags")
    op.drop_table("content_tags")
    op.drop_index("ix_content_posts_workspace_id_posted_at", table_name="content_posts")
    op.drop_index("ix_content_posts_content_id", table_name="content_posts")
    op.drop_table("content_posts")
    op.drop_index("ix_followers_workspace_id_lower_username", table_name="followers")
    op.drop_index("ix_followers_workspace_id_first_seen_at", table_name="followers")
    op.drop_table("followers")
    op.drop_table("content_items")
    op.drop_table("workspaces")
