from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from fanlens.interactions.schemas import ActivityItem
from fanlens.kit.pagination import Page
from fanlens.scoring.schemas import ScoreExplanation, TierChangeOut

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
    last_interaction_at: datetime | None = Field(
        description="The fan's last exact-time interaction (null: only observed-time ones)."
    )


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
    first_seen_at: datetime | None = Field(
        description="The follower's first exact-time interaction; null when fanlens knows "
        "only observed-time ones (see seen_by)."
    )
    last_seen_at: datetime | None = Field(
        description="The follower's last exact-time interaction (same rule)."
    )
    seen_by: datetime | None = Field(
        default=None,
        description="The latest time fanlens saw one of the follower's observed-time "
        "interactions (a like or repost the platform gives no time for): they acted on or "
        "before it. Null when they have none.",
    )


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


class FollowerDetail(BaseModel):
    profile: FollowerProfile
    score: FollowerScore | None = Field(description="Null when the follower has no interactions.")
    score_explanation: ScoreExplanation = Field(
        description="Counts x weights = points per type, thresholds, distance to the next tier."
    )
    tier_history: list[TierChangeOut] = Field(description="Tier changes, oldest first.")
    activity: Page[ActivityItem] = Field(
        description="Timeline, newest first; page with activity_cursor."
    )
    comments: list[ActivityItem] = Field(description="Latest comments, newest first.")
