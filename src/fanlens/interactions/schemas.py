from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field


class ActivityItem(BaseModel):
    id: uuid.UUID
    follower_id: uuid.UUID
    username: str | None
    platform: str
    interaction_type: str
    interaction_value: str | None
    content_id: uuid.UUID | None
    content_title: str | None
    post_url: str | None
    occurred_at: datetime
    time_precision: str


class RejectedLine(BaseModel):
    line: int
    reason: str
    message: str


class IngestResult(BaseModel):
    """What one ingest call stored: the same summary `fanlens import` prints, per batch."""

    lines: int
    posts_created: int
    posts_updated: int
    followers_created: int
    followers_updated: int
    interactions_inserted: int
    interactions_already_present: int
    interactions_upgraded: int = Field(
        description="Of those already present: stored with an observed time, now set to the "
        "exact time the record brought"
    )
    interactions_deleted: int
    interactions_edited: int
    changes_waiting: int
    followers_touched: int
    rejected: dict[str, int]
    rejects: list[RejectedLine]
