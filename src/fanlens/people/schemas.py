from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ReachTier = Literal["nano", "micro", "macro", "mega"]


class Identity(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    follower_id: uuid.UUID
    platform: str
    external_user_id: str
    username: str | None
    display_name: str | None
    profile_url: str | None
    avatar_url: str | None
    bio: str | None
    verified: bool | None
    follower_count: int | None
    reach_tier: ReachTier | None
    engagement_score: float | None
    engagement_tier: str | None
    interaction_count: int | None
    last_interaction_at: datetime | None


class PersonScore(BaseModel):
    """A person's engagement: all their identities' interactions under the workspace weights."""

    model_config = ConfigDict(from_attributes=True)

    person_id: uuid.UUID
    identity_count: int
    engagement_score: float
    engagement_tier: str | None
    interaction_count: int
    comment_count: int
    max_reach: int | None
    reach_tier: ReachTier | None
    last_interaction_at: datetime | None


class Handle(BaseModel):
    """One platform identity as a list shows it."""

    follower_id: uuid.UUID
    platform: str
    username: str | None
    display_name: str | None


class PersonEntry(PersonScore):
    rank: int
    name: str | None
    platforms: list[str]
    identities: list[Handle] = Field(
        description="Every identity's platform and handle: people with one name stay apart."
    )


class PersonLeaderboard(BaseModel):
    mode: Literal["people"] = "people"
    items: list[PersonEntry]


class Suggestion(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    confidence: float
    evidence: list[dict[str, Any]]
    status: str
    created_at: datetime
    decided_at: datetime | None
    follower_a_id: uuid.UUID
    platform_a: str
    username_a: str | None
    display_name_a: str | None
    person_a_id: uuid.UUID
    follower_b_id: uuid.UUID
    platform_b: str
    username_b: str | None
    display_name_b: str | None
    person_b_id: uuid.UUID


class Merge(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    target_person_id: uuid.UUID
    source_person_id: uuid.UUID
    follower_ids: list[uuid.UUID]
    method: str
    suggestion_id: uuid.UUID | None
    confidence: float | None
    evidence: list[dict[str, Any]] | None
    merged_by: str
    merged_at: datetime
    unmerged_at: datetime | None
    unmerged_by: str | None


class MergeEntry(Merge):
    moved: list[Handle] = Field(description="The identities this merge moved.")
    target_name: str | None = Field(description="A name of the person merged into.")


class TimelineEntry(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    occurred_at: datetime | None = Field(
        description="When the fan acted (time_precision exact) or, observed, when fanlens "
        "saw it: the action happened on or before this time."
    )
    time_precision: Literal["exact", "observed"]
    platform: str
    interaction_type: str
    interaction_value: str | None
    username: str | None
    content_id: uuid.UUID | None
    content_slug: str | None
    content_title: str | None


class HandleMatch(BaseModel):
    """An identity found by its handle, with the person it belongs to."""

    model_config = ConfigDict(from_attributes=True)

    follower_id: uuid.UUID
    platform: str
    username: str | None
    display_name: str | None
    person_id: uuid.UUID
    person_name: str | None = None


class HandleSearch(BaseModel):
    handle: str  # what was looked for: lower case, without '@'
    exact: bool  # the matches hold the handle itself (else they start with it)
    matches: list[HandleMatch]

    @property
    def person_ids(self) -> list[uuid.UUID]:
        return list(dict.fromkeys(m.person_id for m in self.matches))


class TypeCount(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    interaction_type: str
    count: int


class PersonDetail(BaseModel):
    id: uuid.UUID
    name: str | None
    merged_into_id: uuid.UUID | None
    score: PersonScore | None
    identities: list[Identity]
    suggestions: list[Suggestion]
    merges: list[MergeEntry]
    timeline: list[TimelineEntry]


class SuggestionRun(BaseModel):
    candidates: int
    new_suggestions: int
    auto_merged: int
    threshold: float


class MergeRequest(BaseModel):
    target_person_id: uuid.UUID
    source_person_id: uuid.UUID


class SuggestionDecision(BaseModel):
    decision: Literal["accept", "reject"]
