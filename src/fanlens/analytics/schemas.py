from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field


class CohortRow(BaseModel):
    cohort_week: date | None = Field(
        description="Monday of the week of the followers' first exact-time interaction; null: "
        "followers known only from observed-time interactions (include_time_unknown)."
    )
    platform: str
    follower_count: int
    active_30d: int | None = Field(
        description="Followers whose last exact-time interaction is within 30 days; null "
        "for the time-unknown row."
    )
    super_fans: int
    active_fans: int
    lurkers: int
    avg_engagement_score: float


class Cohorts(BaseModel):
    items: list[CohortRow]


class PlatformTotals(BaseModel):
    platform: str
    posts: int
    views: int | None
    likes: int | None
    comments: int | None
    shares: int | None
    saves: int | None
    engagement: int = Field(description="likes + comments + shares + saves, as reported")
    engagement_rate: float | None = Field(description="engagement / views")
    followers: int
    interactions: int = Field(description="Interactions stored for this platform's followers.")


class WeeklyPoint(BaseModel):
    week: date = Field(description="Monday of the UTC week.")
    platform: str
    interactions: int | None = Field(
        description="Exact-time interactions in the week; null: no data (the week lies outside "
        "the span the platform's data covers, see README 'One time rule')."
    )


class PlatformCount(BaseModel):
    platform: str
    interactions: int


class TierCount(BaseModel):
    tier: str
    followers: int


class SearchTiers(BaseModel):
    tiers: list[TierCount] = Field(description="Every tier, highest first (0 when empty).")
    q: str | None = Field(description="The username search the counts are narrowed to.")
    platform: str | None
    capped: bool = Field(
        description="True when more than `cap` followers match `q`: counting stopped after "
        "`cap` + 1 matches, so each tier's count is a lower bound (at least that many; show "
        "it as e.g. '412+'). False: every count is exact. Without `q` never capped."
    )
    cap: int = Field(description="How many matching followers a search counts at most.")


class Overview(BaseModel):
    platforms: list[PlatformTotals]
    totals: PlatformTotals = Field(description="Every platform summed (platform = 'all').")
    weekly: list[WeeklyPoint] = Field(
        description="Exact-time interactions per week and platform: every week of the window "
        "for every platform with data, null where the platform has no data."
    )
    time_unknown: list[PlatformCount] = Field(
        description="Observed-time interactions per platform (when they happened is unknown): "
        "part of the totals, in no week."
    )
    tiers: list[TierCount] = Field(description="Followers per tier, highest tier first.")


Grain = Literal["week", "month"]
RetentionMode = Literal["on", "on_or_after"]


class RetentionCellOut(BaseModel):
    period: int = Field(description="N: periods since the cohort's own period (0 = itself).")
    period_start: date
    followers: int = Field(description="Cohort followers counted as returning in period N.")
    rate: float | None = Field(description="followers / cohort size.")
    incomplete: bool = Field(description="Period N is the current period: still filling up.")


class RetentionCohort(BaseModel):
    cohort: date = Field(description="First day of the first-seen week (Monday) or month.")
    size: int = Field(description="Followers first seen in this period.")
    cells: list[RetentionCellOut] = Field(description="Periods 0 … up to the current period.")


class RetentionMean(BaseModel):
    period: int
    cohorts: int = Field(description="Cohorts that have begun period N.")
    cohort_size: int = Field(description="Their followers, summed (the weight).")
    followers: int
    rate: float | None = Field(description="followers / cohort_size: the size-weighted mean.")
    incomplete: bool = Field(description="Only the current period holds period N.")


class RetentionCsvRow(BaseModel):
    cohort: str = Field(description="Cohort start date, or 'mean'.")
    cohort_size: int
    period: int
    period_start: date | None
    followers: int
    rate: float | None
    incomplete: bool


class RetentionMatrix(BaseModel):
    grain: Grain
    mode: RetentionMode = Field(description="on = bounded, on_or_after = unbounded.")
    platform: str | None
    types: list[str] | None = Field(description="Interaction types that count as a return.")
    first_touch_content_id: uuid.UUID | None
    current_period: date
    cohorts: list[RetentionCohort] = Field(description="Oldest cohort first.")
    mean: list[RetentionMean]
    time_unknown_followers: int = Field(
        default=0,
        description="Followers (of the platform asked about) known only from observed-time "
        "interactions: in no cohort, since when they first acted is unknown.",
    )

    def means_as_cells(self) -> list[RetentionCsvRow]:
        return [
            RetentionCsvRow(
                cohort="mean",
                cohort_size=m.cohort_size,
                period=m.period,
                period_start=None,
                followers=m.followers,
                rate=m.rate,
                incomplete=m.incomplete,
            )
            for m in self.mean
        ]


class RetentionPerson(BaseModel):
    id: uuid.UUID
    platform: str
    external_user_id: str
    username: str | None
    display_name: str | None
    first_seen_at: datetime | None
    last_seen_at: datetime | None


class RetentionPeople(BaseModel):
    items: list[RetentionPerson]


class BestTimeCell(BaseModel):
    platform: str
    weekday: int = Field(description="ISO weekday: 1 = Monday … 7 = Sunday.")
    hour: int = Field(description="Hour of posting, 0-23, in the requested time zone.")
    posts: int
    avg_engagement: float = Field(description="Mean interactions per post in its first 24 hours.")


class BestTime(BaseModel):
    tz: str
    cells: list[BestTimeCell]
    best: dict[str, list[BestTimeCell]] = Field(
        description="Per platform, the three slots with the highest mean (most posts on ties)."
    )


Direction = Literal["up", "down", "held", "new"]


class TierMove(BaseModel):
    from_tier: str | None = Field(description="Null: the follower's first tier (new).")
    to_tier: str
    direction: Direction
    followers: int


class TierPeriod(BaseModel):
    period: date
    up: int
    held: int
    down: int
    new: int
    changes: int = Field(description="Tier-history rows in the period (up + down + new).")
    moves: list[TierMove]
    time_unknown: int = Field(
        0,
        description="Tier changes known only to have happened by a time in this period (made "
        "by an interaction fanlens saw but whose own time it does not know); not in the "
        "counts above.",
    )


class TierMovement(BaseModel):
    grain: Grain
    periods: list[TierPeriod] = Field(description="Oldest first.")


class TierMoveCsvRow(BaseModel):
    period: date
    from_tier: str | None
    to_tier: str
    direction: Direction
    followers: int


class PlatformScore(BaseModel):
    platform: str
    posts: int
    views: int | None
    engagement: int = Field(description="likes + comments + shares + saves, as reported")
    followers: int = Field(description="Followers fanlens knows on this platform.")
    basis: Literal["views", "followers"] | None = Field(
        description="views when the platform reports views for this item, else followers."
    )
    rate: float | None = Field(
        description="engagement / views, or engagement per post / followers."
    )
    platform_rate: float | None = Field(
        description="The same rate over all of the workspace's posts on this platform."
    )
    index: float | None = Field(description="rate / platform_rate: 1.0 = typical there.")


class BestPlatform(BaseModel):
    content_id: uuid.UUID
    most_engagement: str | None = Field(
        description="The plain rule (content_cross_platform_summary.best_platform)."
    )
    most_engagement_reason: str | None
    normalised: str | None = Field(description="Highest engagement relative to its platform.")
    normalised_reason: str | None
    platforms: list[PlatformScore]
