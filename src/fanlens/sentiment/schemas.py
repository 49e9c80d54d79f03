from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

CorrectedLabel = Literal["positive", "neutral", "negative"]
Bucket = Literal["day", "week"]


class LabelCounts(BaseModel):
    total: int = Field(description="Analysed text interactions (any label).")
    pending: int = Field(
        default=0,
        description="Text interactions not analysed yet (the job worker analyses them soon): "
        "no label of theirs is counted until then.",
    )
    positive: int
    neutral: int
    negative: int
    positive_share: float | None = Field(
        description="positive / (positive + neutral + negative); unsupported languages left out"
    )
    negative_share: float | None
    mean_score: float | None = Field(description="Mean score in [-1, 1] of judged comments.")


class TrendPoint(LabelCounts):
    period: date = Field(description="First day of the day or week (Monday), UTC.")


class UnansweredQuestion(BaseModel):
    interaction_id: uuid.UUID
    follower_id: uuid.UUID
    username: str | None
    platform: str
    interaction_type: str
    text: str
    language: str
    occurred_at: datetime


class ContentSentiment(LabelCounts):
    content_id: uuid.UUID
    unsupported_language: int
    questions: int
    unanswered_questions: list[UnansweredQuestion]
    trend: list[TrendPoint]


class FollowerMood(LabelCounts):
    follower_id: uuid.UUID
    recent: int = Field(description="How many of the latest comments the mood is taken over.")
    mood: Literal["positive", "neutral", "negative", "pending", "unknown"] = Field(
        description="From the mean score of the analysed comments among the latest `recent`; "
        "pending while none of them is analysed yet, unknown without any."
    )
    last_comment_at: datetime | None


class PlatformSentiment(LabelCounts):
    platform: str


class SentimentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    interaction_id: uuid.UUID
    status: Literal["analysed", "pending"] = Field(
        description="pending: not analysed yet; the analyser's fields are then null."
    )
    label: str = Field(
        description="The effective label: the correction if any, else the analyser's; "
        "`pending` while the comment is not analysed yet."
    )
    analyser_label: str | None
    score: float | None
    language: str | None
    analyser: str | None
    analyser_version: str | None
    is_question: bool | None
    corrected_label: str | None
    corrected_by: str | None
    corrected_at: datetime | None
    analysed_at: datetime | None


class Correction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: CorrectedLabel


class SentimentAlertOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    content_id: uuid.UUID
    day: date
    negative_count: int
    comment_count: int
    negative_share: Decimal
    baseline_share: Decimal
    created_at: datetime
    notified_at: datetime | None


class AnalysisSummary(BaseModel):
    workspaces: int = 0
    claimed: int = 0
    analysed: int = 0
    provider_failures: int = 0
    alerts: int = 0
    notified: int = 0
