"""What goes in and out of outreach: segment filters, campaigns, plans, statuses."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from fanlens.kit.bounds import Moment, ZoneName
from fanlens.kit.text import NulFree
from fanlens.outreach.models import CHANNELS

MAX_DAYS = 36_500  # a hundred years: any window a person means
MAX_SCORE = 1e15  # far above any score; NaN, infinities and 1e400 are refused
MAX_TEMPLATE = 20_000  # characters of a message template (README "Outreach")
MAX_SUBJECT = 500
Label = Annotated[str, Field(min_length=1, max_length=200)]
Score = Annotated[float, Field(ge=0, le=MAX_SCORE, allow_inf_nan=False)]
Tier = Literal["inactive", "lurker", "active", "super_fan"]
Channel = Literal["webhook", "email", "csv", "youtube_reply", "bluesky_reply", "mastodon_mention"]
assert set(CHANNELS) == set(Channel.__args__)  # type: ignore[attr-defined]


class SegmentFilters(BaseModel):
    """Every filter given must hold (AND). A person matches a platform / tag / rising filter
    when any of their identities does; score and tier are the person's combined ones."""

    model_config = ConfigDict(extra="forbid")

    tiers: list[Tier] | None = Field(default=None, max_length=4)
    platforms: list[Annotated[str, Field(min_length=1, max_length=50)]] | None = Field(
        default=None, max_length=20
    )
    min_score: Score | None = None
    max_score: Score | None = None
    active_within_days: int | None = Field(default=None, ge=1, le=MAX_DAYS)
    rising_within_days: int | None = Field(
        default=None, ge=1, le=MAX_DAYS, description="Moved up a tier within this many days."
    )
    tags: list[Label] | None = Field(
        default=None, max_length=100, description="Engaged with content tagged so."
    )
    sentiment: Literal["positive", "neutral", "negative"] | None = Field(
        default=None, description="Mean score of their comments in `sentiment_days`."
    )
    sentiment_days: int = Field(default=30, ge=1, le=MAX_DAYS)
    limit: int | None = Field(
        default=None, ge=1, le=1_000_000, description="At most this many, best first."
    )

    @model_validator(mode="after")
    def _score_range(self) -> SegmentFilters:
        low, high = self.min_score, self.max_score
        if low is not None and high is not None and low > high:
            raise ValueError("min_score is above max_score")
        return self


class SegmentIn(NulFree):
    name: str = Field(min_length=1, max_length=200)
    filters: SegmentFilters


class SegmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    filters: dict[str, Any]
    created_at: datetime


class CampaignIn(NulFree):
    name: str = Field(min_length=1, max_length=200)
    segment: str = Field(min_length=1, max_length=200, description="The segment's name or id.")
    channel: Channel
    template: str = Field(min_length=1, max_length=MAX_TEMPLATE)
    subject: str | None = Field(default=None, max_length=MAX_SUBJECT)
    options: dict[Annotated[str, Field(max_length=100)], Any] = Field(
        default_factory=dict,
        max_length=20,
        description="webhook: {url}; platform replies: {account_id} (the connected account).",
    )


class CampaignOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    segment_id: uuid.UUID
    channel: str
    subject: str | None
    template: str
    options: dict[str, Any]
    status: str
    send_at: datetime | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class PlannedMessage(BaseModel):
    person_id: uuid.UUID
    follower_id: uuid.UUID | None
    name: str | None
    address: str | None
    subject: str | None
    body: str
    note: str | None = None  # e.g. held back by today's daily cap


class LeftOut(BaseModel):
    person_id: uuid.UUID
    name: str | None
    reason: str


class Plan(BaseModel):
    campaign_id: uuid.UUID
    channel: str
    messages: list[PlannedMessage]
    left_out: list[LeftOut]
    quiet_until: datetime | None = None
    daily_cap_remaining: int | None = None


class SendIn(NulFree):
    at: Moment | None = Field(
        default=None, description="Send then (default: now); between 1970 and 2100."
    )


class RecipientOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    person_id: uuid.UUID
    address: str | None
    status: str
    reason: str | None
    attempts: int
    last_error: str | None
    sent_at: datetime | None


class CampaignStatus(BaseModel):
    campaign: CampaignOut
    counts: dict[str, int]
    recipients: list[RecipientOut]


class OptOutIn(NulFree):
    person_id: uuid.UUID
    channel: Channel | Literal["*"] = "*"
    reason: str | None = Field(default=None, max_length=1000)


class AddressIn(NulFree):
    person_id: uuid.UUID
    email: str = Field(max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class SettingsIn(NulFree):
    model_config = ConfigDict(extra="forbid")

    time_zone: ZoneName | None = None
    quiet_start: time | None = None
    quiet_end: time | None = None
    cooldown_days: int | None = Field(default=None, ge=0, le=MAX_DAYS)
    skip_negative: bool | None = None
    negative_days: int | None = Field(default=None, ge=1, le=MAX_DAYS)
    negative_share: float | None = Field(default=None, gt=0, le=1, allow_inf_nan=False)
    daily_caps: dict[Channel, Annotated[int, Field(ge=0, le=10**9)]] | None = None

    @model_validator(mode="after")
    def _not_null(self) -> SettingsIn:
        # Only the quiet hours can be cleared (null); the other guards always have a value.
        for name in self.model_fields_set - {"quiet_start", "quiet_end"}:
            if getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class SettingsOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    time_zone: str
    quiet_start: time | None
    quiet_end: time | None
    cooldown_days: int
    skip_negative: bool
    negative_days: int
    negative_share: float
    daily_caps: dict[str, int]


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    recipient_id: uuid.UUID | None
    event: str
    detail: dict[str, Any]
    at: datetime
