from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from fanlens.api.schemas import Page
from fanlens.interactions.schemas import ActivityItem

Tier = Literal["super_fan", "active", "lurker", "inactive"]
FollowerSort = Literal[
    "engagement_score", "last_seen_at", "comment_count", "interaction_count", "username"
]


class FollowerSummary(BaseModel):
    id: uuid.UUID
    platform: str
    external_user_id: str
    username: str | None
    display_name: str | None
    profile_url: str | None
    follower_count: int | None
    verified: bool | None
    first_seen_at: datetime | None
    last_seen_at: datetime | None
    engagement_score: float
    engagement_tier: str
    comment_count: int
    like_count: int
    share_count: int
    interaction_count: int


class LeaderboardEntry(BaseModel):
    rank: int
    follower_id: uuid.UUID
    username: str | None
    display_name: str | None
    platform: str
    engagement_score: float
    engagement_tier: str
    comment_count: int
    like_count: int
    share_count: int
    interaction_count: int
    last_interaction_at: datetime | None


class Leaderboard(BaseModel):
    items: list[LeaderboardEntry]


class FollowerProfile(BaseModel):
    id: uuid.UUID
    platform: str
    external_user_id: str
    username: str | None
    display_name: str | None
    profile_url: str | None
    avatar_url: str | None
    follower_count: int | None
    bio: str | None
    verified: bool | None
    first_seen_at: datetime | None
    last_seen_at: datetime | None


class FollowerScore(BaseModel):
    engagement_score: float
    engagement_tier: str
    comment_count: int
    like_count: int
    share_count: int
    save_count: int
    profile_visit_count: int
    link_click_count: int
    other_count: int
    interaction_count: int
    first_interaction_at: datetime | None
    last_interaction_at: datetime | None
    computed_at: datetime


class TierChange(BaseModel):
    from_tier: str | None
    to_tier: str | None
    changed_at: datetime | None


class FollowerDetail(BaseModel):
    profile: FollowerProfile
    score: FollowerScore | None = Field(description="Null when the follower has no interactions.")
    # MERGE(scoring): filled from fanlens.scoring.service.explain(...) — counts x weights,
    # thresholds, distance to the next tier. Null until the scoring branch is merged.
    score_explanation: dict[str, Any] | None = None
    tier_history: list[TierChange] | None = Field(
        description="Oldest first; null when tier history is not recorded."
    )
    activity: Page[ActivityItem] = Field(
        description="Timeline, newest first; page with activity_cursor."
    )
    comments: list[ActivityItem] = Field(description="Latest comments, newest first.")
