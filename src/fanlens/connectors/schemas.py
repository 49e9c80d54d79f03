"""What the data-health page and endpoint show about connected accounts and their syncs."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class StreamState(BaseModel):
    stream: str
    updated_at: datetime = Field(description="When this stream last stored a page.")


class SyncRunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    account_id: uuid.UUID
    started_at: datetime
    finished_at: datetime | None
    status: str
    full: bool
    items: dict[str, Any]
    rejects: int
    api_calls: int
    quota_used: int
    last_error: str | None


class DailyQuota(BaseModel):
    """Units of a platform's daily quota (YouTube: 10 000, reset at midnight Pacific) that
    fanlens spent today for the account: syncs, faster polls and profile refreshes."""

    day: str = Field(description="The platform's day the count is for (ISO date).")
    used: int
    limit: int
    recent_budget: int | None = Field(
        default=None, description="The count up to which faster polls of recent posts run."
    )


class AccountHealth(BaseModel):
    id: uuid.UUID
    platform: str
    handle: str
    external_id: str
    display_name: str | None
    status: str = Field(description="active, needs_reauth or gone.")
    last_error: str | None
    last_run: SyncRunOut | None
    streams: list[StreamState]
    quota: DailyQuota | None = Field(
        default=None, description="Its platform's daily quota and what fanlens spent of it today."
    )


class RejectGroup(BaseModel):
    source: str
    reason: str
    count: int
    last_at: datetime


class RejectOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    source: str
    line_number: int
    reason: str
    message: str
    raw: str
    created_at: datetime


class RetiredMetricOut(BaseModel):
    """A metric the platform refused for an account's media of one type."""

    model_config = ConfigDict(from_attributes=True)

    account_id: uuid.UUID
    metric: str
    media_type: str = Field(description="The platform's media kind, e.g. FEED or REELS.")
    message: str = Field(description="The platform's own words when it refused the metric.")
    first_seen_at: datetime
    last_seen_at: datetime


class LiveGapOut(BaseModel):
    """A time an account's live connection was down."""

    model_config = ConfigDict(from_attributes=True)

    account_id: uuid.UUID
    source: str = Field(description="The live source, e.g. live:jetstream.")
    started_at: datetime
    ended_at: datetime | None = Field(description="When it was back; null while it is down.")
    since_cursor: int | None = Field(
        description="The stored cursor the reconnect replays from (the source's own unit)."
    )
    error: str


class DerivedRows(BaseModel):
    """Whether counts, scores, tiers and retention are current with the interaction log."""

    waiting: int = Field(
        description="Interactions stored by a bulk import whose followers' counts, scores, tier "
        "history and retention wait for its catch-up (0: all current)."
    )
    status: str = Field(description="`current`, or `catching up (N interactions)`.")


class SyncHealth(BaseModel):
    derived_rows: DerivedRows
    accounts: list[AccountHealth]
    recent_runs: list[SyncRunOut] = Field(description="The latest sync runs, newest first.")
    rejects: list[RejectGroup] = Field(description="Rejected lines per source and reason.")
    latest_rejects: list[RejectOut] = Field(description="The latest rejected lines.")
    retired_metrics: list[RetiredMetricOut] = Field(
        default_factory=list,
        description="Metrics a platform no longer serves (asked one by one, so the rest stay).",
    )
    live_gaps: list[LiveGapOut] = Field(
        default_factory=list,
        description="The latest outages of live connections, newest first; the next sync fills "
        "what the stream could not replay.",
    )


class WebhookProblem(BaseModel):
    """An entry of a delivery that was not stored, and why."""

    entry: int
    code: str
    message: str


class WebhookResult(BaseModel):
    """What one webhook delivery did. `stored` counts interactions new to fanlens (a repeated
    delivery stores nothing); `rejected` changes are kept in the ingest rejects."""

    changes: int
    stored: int
    rejected: int
    ignored: int
    problems: list[WebhookProblem]


class TikTokWebhookResult(BaseModel):
    """What one TikTok event did: `needs_reauth` (access removed: the accounts are flagged),
    `sync_requested` (a video was published: a sync of the accounts is queued) or `ignored`."""

    event: str
    accounts: int
    action: str
    problems: list[WebhookProblem]


class YouTubeWebhookResult(BaseModel):
    """What one YouTube notification did: `videos` announced (uploads and title or
    description changes), `stored` posts new to fanlens, `deleted` videos (acknowledged: the
    post and its comments stay), `rejected` entries (kept in the ingest rejects) and whether a
    sync of the account was queued to read the videos' counts and comments."""

    videos: int
    stored: int
    deleted: int
    rejected: int
    sync_requested: bool
