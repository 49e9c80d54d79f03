"""Outreach tables. `outreach_recipients` is the outbox: one row per person and campaign,
committed before anything is sent, so a crash can never lose track of an intended message."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    Index,
    Integer,
    Text,
    Time,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from fanlens.db.base import Base, WorkspaceScoped, uuid_id, workspace_key, workspace_reference

CHANNELS = ("webhook", "email", "csv", "youtube_reply", "bluesky_reply", "mastodon_mention")
CAMPAIGN_STATUSES = ("draft", "scheduled", "sending", "done")
RECIPIENT_STATUSES = ("queued", "sending", "sent", "failed", "skipped")


def _now() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class OutreachSettings(WorkspaceScoped, Base):
    """A workspace's guards: time zone, quiet hours, cooldown, sentiment guard, daily caps."""

    __tablename__ = "outreach_settings"
    __table_args__ = (
        workspace_key("id"),
        UniqueConstraint("workspace_id"),
        CheckConstraint("cooldown_days >= 0", name="cooldown_days"),
        CheckConstraint("negative_share > 0 AND negative_share <= 1", name="negative_share"),
        CheckConstraint("(quiet_start IS NULL) = (quiet_end IS NULL)", name="quiet_hours"),
    )

    id: Mapped[uuid.UUID] = uuid_id()
    time_zone: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'UTC'"))
    quiet_start: Mapped[time | None] = mapped_column(Time)
    quiet_end: Mapped[time | None] = mapped_column(Time)
    cooldown_days: Mapped[int] = mapped_column(Integer, nullable=False, server_default="14")
    skip_negative: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="true")
    negative_days: Mapped[int] = mapped_column(Integer, nullable=False, server_default="30")
    negative_share: Mapped[float] = mapped_column(Float, nullable=False, server_default="0.5")
    daily_caps: Mapped[dict[str, int]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    updated_at: Mapped[datetime] = _now()


class OutreachSegment(WorkspaceScoped, Base):
    """A saved filter over people (see schemas.SegmentFilters for the keys)."""

    __tablename__ = "outreach_segments"
    __table_args__ = (workspace_key("id"), UniqueConstraint("workspace_id", "name"))

    id: Mapped[uuid.UUID] = uuid_id()
    name: Mapped[str] = mapped_column(Text, nullable=False)
    filters: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    created_at: Mapped[datetime] = _now()


class OutreachCampaign(WorkspaceScoped, Base):
    __tablename__ = "outreach_campaigns"
    __table_args__ = (
        workspace_key("id"),
        workspace_reference("segment_id", "outreach_segments", ondelete="RESTRICT"),
        UniqueConstraint("workspace_id", "name"),
        CheckConstraint(_in("channel", CHANNELS), name="channel"),
        CheckConstraint(_in("status", CAMPAIGN_STATUSES), name="status"),
    )

    id: Mapped[uuid.UUID] = uuid_id()
    name: Mapped[str] = mapped_column(Text, nullable=False)
    segment_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    channel: Mapped[str] = mapped_column(Text, nullable=False)
    subject: Mapped[str | None] = mapped_column(Text)
    template: Mapped[str] = mapped_column(Text, nullable=False)
    # Channel options: webhook url, platform account id (never secrets: those are settings).
    options: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'draft'"))
    send_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = _now()
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OutreachRecipient(WorkspaceScoped, Base):
    """The outbox: one person of one campaign, their rendered message and its delivery state.

    `id` is the idempotency key (webhooks) and the root of the e-mail Message-ID, so every
    attempt at one message carries the same key.
    """

    __tablename__ = "outreach_recipients"
    __table_args__ = (
        workspace_key("id"),
        workspace_reference("campaign_id", "outreach_campaigns", ondelete="CASCADE"),
        workspace_reference("person_id", "people", ondelete="CASCADE"),
        workspace_reference("follower_id", "followers", ondelete="SET NULL"),
        UniqueConstraint(
            "campaign_id", "person_id", "workspace_id", name="uq_outreach_recipients_key"
        ),
        CheckConstraint(_in("status", RECIPIENT_STATUSES), name="status"),
        Index("ix_outreach_recipients_campaign_id_status", "campaign_id", "status"),
        Index(
            "ix_outreach_recipients_workspace_id_channel_sent_at",
            "workspace_id",
            "channel",
            "sent_at",
        ),
        Index("ix_outreach_recipients_follower_id", "follower_id"),
    )

    id: Mapped[uuid.UUID] = uuid_id()
    campaign_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    person_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    # The identity addressed (cooldown follows it to whichever person it belongs to later).
    follower_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    channel: Mapped[str] = mapped_column(Text, nullable=False)
    address: Mapped[str | None] = mapped_column(Text)
    subject: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, nullable=False)
    reason: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    sending_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = _now()


class OutreachOptOut(WorkspaceScoped, Base):
    """Do not contact this person on this channel ('*': on any channel)."""

    __tablename__ = "outreach_opt_outs"
    __table_args__ = (
        workspace_key("id"),
        workspace_reference("person_id", "people", ondelete="CASCADE"),
        UniqueConstraint("workspace_id", "person_id", "channel"),
    )

    id: Mapped[uuid.UUID] = uuid_id()
    person_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    channel: Mapped[str] = mapped_column(Text, nullable=False)
    reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = _now()


class OutreachAddress(WorkspaceScoped, Base):
    """An e-mail address set by hand; it wins over one found in profiles."""

    __tablename__ = "outreach_addresses"
    __table_args__ = (
        workspace_key("id"),
        workspace_reference("person_id", "people", ondelete="CASCADE"),
        UniqueConstraint("workspace_id", "person_id"),
    )

    id: Mapped[uuid.UUID] = uuid_id()
    person_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    email: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = _now()


class OutreachEvent(WorkspaceScoped, Base):
    """The audit log: every state a message went through, with what the channel answered."""

    __tablename__ = "outreach_events"
    __table_args__ = (
        workspace_key("id"),
        workspace_reference("campaign_id", "outreach_campaigns", ondelete="CASCADE"),
        workspace_reference("recipient_id", "outreach_recipients", ondelete="CASCADE"),
        Index("ix_outreach_events_recipient_id", "recipient_id"),
        Index("ix_outreach_events_campaign_id_at", "campaign_id", "at"),
    )

    id: Mapped[uuid.UUID] = uuid_id()
    campaign_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    recipient_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    event: Mapped[str] = mapped_column(Text, nullable=False)
    detail: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    at: Mapped[datetime] = _now()
