from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class CohortRow(BaseModel):
    cohort_week: date
    platform: str
    follower_count: int
    active_30d: int
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
    interactions: int


class TierCount(BaseModel):
    tier: str
    followers: int


class Overview(BaseModel):
    platforms: list[PlatformTotals]
    totals: PlatformTotals = Field(description="Every platform summed (platform = 'all').")
    weekly: list[WeeklyPoint] = Field(description="Interactions per week and platform.")
    tiers: list[TierCount] = Field(description="Followers per tier, highest tier first.")
