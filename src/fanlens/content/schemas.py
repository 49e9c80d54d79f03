from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from fanlens.sentiment.schemas import LabelCounts

ContentSort = Literal["total_engagement", "total_comments", "engagement_rate", "posted_at"]


class ContentSummary(BaseModel):
    id: uuid.UUID
    slug: str
    title: str | None
    platform_count: int
    platforms: list[str]
    first_posted_at: datetime | None
    total_views: int | None
    total_likes: int | None
    total_comments: int | None
    total_shares: int | None
    total_saves: int | None
    total_engagement: int = Field(description="likes + comments + shares + saves")
    engagement_rate: float | None = Field(description="total_engagement / total_views")
    best_platform: str | None


class PostMetrics(BaseModel):
    id: uuid.UUID
    external_post_id: str
    url: str | None
    posted_at: datetime | None
    views: int | None
    likes: int | None
    comments: int | None
    shares: int | None
    saves: int | None
    engagement: int
    engagement_rate: float | None
    is_placeholder: bool


class PlatformPerformance(BaseModel):
    platform: str
    post_count: int
    views: int | None
    likes: int | None
    comments: int | None
    shares: int | None
    saves: int | None
    engagement: int
    engagement_rate: float | None
    posts: list[PostMetrics]


class DailyInteractions(BaseModel):
    day: date
    total: int
    by_type: dict[str, int]


class TimeUnknownInteractions(BaseModel):
    total: int
    by_type: dict[str, int]


class Commenter(BaseModel):
    follower_id: uuid.UUID
    username: str | None
    platform: str
    comment_count: int
    last_comment_at: datetime


class ContentDetail(ContentSummary):
    description: str | None
    best_platform_rule: str
    by_platform: list[PlatformPerformance]
    interactions_per_day: list[DailyInteractions] = Field(
        description="Exact-time interactions per UTC day (when fans acted)."
    )
    interactions_time_unknown: TimeUnknownInteractions | None = Field(
        default=None,
        description="Observed-time interactions (seen by a sync or an export; when they "
        "happened is unknown): counted in the totals, on no day. Null when there are none.",
    )
    top_commenters: list[Commenter]
    sentiment: LabelCounts | None = Field(
        default=None,
        description="Comment sentiment on this item once it has comments (`pending`: not "
        "analysed yet); the trend and unanswered questions are at /sentiment/content/{id}.",
    )


class LinkedPost(BaseModel):
    id: uuid.UUID
    platform: str
    external_post_id: str
    caption: str | None
    posted_at: datetime
    content_id: uuid.UUID
    content_title: str | None


class LinkSuggestion(BaseModel):
    post: LinkedPost
    other_post: LinkedPost = Field(description="Posted at the same time as `post` or later.")
    similarity: float = Field(description="Shared words / all words of the two captions.")
    hours_apart: float
    reason: str


class LinkSuggestions(BaseModel):
    items: list[LinkSuggestion]


class LinkDecisionIn(BaseModel):
    post_id: uuid.UUID = Field(description="Its content item keeps both posts (accepted).")
    other_post_id: uuid.UUID = Field(description="Moves into post_id's content item.")
    decision: Literal["accepted", "rejected"]


class LinkDecisionOut(BaseModel):
    id: uuid.UUID
    post_id: uuid.UUID
    other_post_id: uuid.UUID
    decision: str
    moved_post_id: uuid.UUID | None
    previous_content_id: uuid.UUID | None
    decided_at: datetime


class LinkDecisions(BaseModel):
    items: list[LinkDecisionOut]


MAX_BULK_PAIRS = 500
LinkSkipReason = Literal["not_found", "moved", "rejected", "linked", "split", "platform_taken"]
UnlinkSkipReason = Literal["not_linked", "item_gone"]


class LinkPairIn(BaseModel):
    post_id: uuid.UUID = Field(description="Its content item keeps both posts.")
    other_post_id: uuid.UUID = Field(description="Moves into post_id's content item.")
    post_content_id: uuid.UUID | None = Field(
        None, description="The content item the caller saw post_id in: skipped as moved if not."
    )
    other_content_id: uuid.UUID | None = Field(
        None, description="The content item the caller saw other_post_id in."
    )


class BulkLinkIn(BaseModel):
    pairs: list[LinkPairIn] | None = Field(None, min_length=1, max_length=MAX_BULK_PAIRS)
    min_similarity: float | None = Field(
        None, ge=0, le=1, description="Every suggestion at or above this similarity."
    )

    @model_validator(mode="after")
    def _one_way(self) -> BulkLinkIn:
        if (self.pairs is None) == (self.min_similarity is None):
            raise ValueError("give either pairs or min_similarity")
        return self


class SkippedPair(BaseModel):
    post_id: uuid.UUID
    other_post_id: uuid.UUID
    reason: LinkSkipReason


class BulkLinkOut(BaseModel):
    linked: list[LinkDecisionOut]
    skipped: list[SkippedPair]
    left_over: int = Field(
        0, description=f"Suggestions at or above min_similarity beyond the {MAX_BULK_PAIRS} taken."
    )


class BulkUnlinkIn(BaseModel):
    post_ids: list[uuid.UUID] = Field(min_length=1, max_length=MAX_BULK_PAIRS)


class SkippedUnlink(BaseModel):
    post_id: uuid.UUID
    reason: UnlinkSkipReason


class BulkUnlinkOut(BaseModel):
    unlinked: list[LinkDecisionOut]
    skipped: list[SkippedUnlink]
