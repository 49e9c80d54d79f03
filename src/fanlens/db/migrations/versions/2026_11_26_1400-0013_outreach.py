"""Outreach: settings, segments, campaigns, the recipients outbox, opt-outs, addresses, audit.

Revision ID: 0013
Revises: 0011
Create Date: 2026-11-26 14:00:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _workspace(table: str) -> list[Any]:
    return [
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f(f"fk_{table}_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
    ]


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def _id() -> sa.Column:
    return sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False)


def _now(name: str) -> sa.Column:
    return sa.Column(
        name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def _jsonb(name: str, default: str | None = "'{}'::jsonb") -> sa.Column:
    return sa.Column(
        name,
        postgresql.JSONB(astext_type=sa.Text()),
        server_default=sa.text(default) if default else None,
        nullable=False,
    )


def _ts(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=True)


def upgrade() -> None:
    op.create_table(
        "outreach_settings",
        _id(),
        sa.Column("time_zone", sa.Text(), server_default=sa.text("'UTC'"), nullable=False),
        sa.Column("quiet_start", sa.Time(), nullable=True),
        sa.Column("quiet_end", sa.Time(), nullable=True),
        sa.Column("cooldown_days", sa.Integer(), server_default="14", nullable=False),
        sa.Column("skip_negative", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("negative_days", sa.Integer(), server_default="30", nullable=False),
        sa.Column("negative_share", sa.Float(), server_default="0.5", nullable=False),
        _jsonb("daily_caps"),
        _now("updated_at"),
        *_workspace("outreach_settings"),
        sa.CheckConstraint("cooldown_days >= 0", name=op.f("ck_outreach_settings_cooldown_days")),
        sa.CheckConstraint(
            "negative_share > 0 AND negative_share <= 1",
            name=op.f("ck_outreach_settings_negative_share"),
        ),
        sa.CheckConstraint(
            "(quiet_start IS NULL) = (quiet_end IS NULL)",
            name=op.f("ck_outreach_settings_quiet_hours"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreach_settings")),
        sa.UniqueConstraint("workspace_id", name=op.f("uq_outreach_settings_workspace_id")),
    )
    op.create_table(
        "outreach_segments",
        _id(),
        sa.Column("name", sa.Text(), nullable=False),
        _jsonb("filters", None),
        _now("created_at"),
        *_workspace("outreach_segments"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreach_segments")),
        sa.UniqueConstraint(
            "workspace_id", "name", name=op.f("uq_outreach_segments_workspace_id_name")
        ),
    )
    op.create_table(
        "outreach_campaigns",
        _id(),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("segment_id", sa.UUID(), nullable=False),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("template", sa.Text(), nullable=False),
        _jsonb("options"),
        sa.Column("status", sa.Text(), server_default=sa.text("'draft'"), nullable=False),
        _ts("send_at"),
        _now("created_at"),
        _ts("started_at"),
        _ts("finished_at"),
        *_workspace("outreach_campaigns"),
        _fk("outreach_campaigns", "segment_id", "outreach_segments", "RESTRICT"),
        sa.CheckConstraint(
            "channel IN ('webhook', 'email', 'csv', 'youtube_reply', 'bluesky_reply', "
            "'mastodon_mention')",
            name=op.f("ck_outreach_campaigns_channel"),
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'scheduled', 'sending', 'done')",
            name=op.f("ck_outreach_campaigns_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreach_campaigns")),
        sa.UniqueConstraint(
            "workspace_id", "name", name=op.f("uq_outreach_campaigns_workspace_id_name")
        ),
    )
    op.create_table(
        "outreach_recipients",
        _id(),
        sa.Column("campaign_id", sa.UUID(), nullable=False),
        sa.Column("person_id", sa.UUID(), nullable=False),
        sa.Column("follower_id", sa.UUID(), nullable=True),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        _ts("next_attempt_at"),
        sa.Column("last_error", sa.Text(), nullable=True),
        _ts("sending_at"),
        _ts("sent_at"),
        _now("created_at"),
        *_workspace("outreach_recipients"),
        _fk("outreach_recipients", "campaign_id", "outreach_campaigns", "CASCADE"),
        _fk("outreach_recipients", "person_id", "people", "CASCADE"),
        _fk("outreach_recipients", "follower_id", "followers", "SET NULL"),
        sa.CheckConstraint(
            "status IN ('queued', 'sending', 'sent', 'failed', 'skipped')",
            name=op.f("ck_outreach_recipients_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreach_recipients")),
        sa.UniqueConstraint(
            "campaign_id", "person_id", name=op.f("uq_outreach_recipients_campaign_id_person_id")
        ),
    )
    op.create_index(
        "ix_outreach_recipients_campaign_id_status",
        "outreach_recipients",
        ["campaign_id", "status"],
    )
    op.create_index(
        "ix_outreach_recipients_workspace_id_channel_sent_at",
        "outreach_recipients",
        ["workspace_id", "channel", "sent_at"],
    )
    op.create_index("ix_outreach_recipients_follower_id", "outreach_recipients", ["follower_id"])
    op.create_table(
        "outreach_opt_outs",
        _id(),
        sa.Column("person_id", sa.UUID(), nullable=False),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Text(), nullable=False),
        _now("created_at"),
        *_workspace("outreach_opt_outs"),
        _fk("outreach_opt_outs", "person_id", "people", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreach_opt_outs")),
        sa.UniqueConstraint(
            "workspace_id",
            "person_id",
            "channel",
            name=op.f("uq_outreach_opt_outs_workspace_id_person_id_channel"),
        ),
    )
    op.create_table(
        "outreach_addresses",
        _id(),
        sa.Column("person_id", sa.UUID(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        _now("created_at"),
        *_workspace("outreach_addresses"),
        _fk("outreach_addresses", "person_id", "people", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreach_addresses")),
        sa.UniqueConstraint(
            "workspace_id", "person_id", name=op.f("uq_outreach_addresses_workspace_id_person_id")
        ),
    )
    op.create_table(
        "outreach_events",
        _id(),
        sa.Column("campaign_id", sa.UUID(), nullable=False),
        sa.Column("recipient_id", sa.UUID(), nullable=True),
        sa.Column("event", sa.Text(), nullable=False),
        _jsonb("detail"),
        _now("at"),
        *_workspace("outreach_events"),
        _fk("outreach_events", "campaign_id", "outreach_campaigns", "CASCADE"),
        _fk("outreach_events", "recipient_id", "outreach_recipients", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreach_events")),
    )
    op.create_index("ix_outreach_events_recipient_id", "outreach_events", ["recipient_id"])
    op.create_index("ix_outreach_events_campaign_id_at", "outreach_events", ["campaign_id", "at"])


def downgrade() -> None:
    op.drop_table("outreach_events")
    op.drop_table("outreach_addresses")
    op.drop_table("outreach_opt_outs")
    op.drop_table("outreach_recipients")
    op.drop_table("outreach_campaigns")
    op.drop_table("outreach_segments")
    op.drop_table("outreach_settings")
