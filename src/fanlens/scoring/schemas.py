"""What the scoring domain hands to the CLI, the API and the pages."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
    model_validator,
)

# Exact in Python, a plain JSON number on the wire (pydantic would send Decimal as a string).
Number = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]
# What a request may set: finite, at most six decimals, and small enough that a score (a count
# times a weight, summed) stays exact in numeric and round-trips through a float on the wire.
MAX_WEIGHT = 1_000_000
MAX_THRESHOLD = 10**15
MAX_RECENCY_DAYS = 36_500
Weight = Annotated[Number, Field(ge=0, le=MAX_WEIGHT, decimal_places=6, allow_inf_nan=False)]
Threshold = Annotated[Number, Field(ge=0, le=MAX_THRESHOLD, decimal_places=6, allow_inf_nan=False)]
InteractionTypeName = Annotated[str, Field(min_length=1, max_length=50)]

Tier = Literal["super_fan", "active", "lurker", "inactive"]
RecencyMode = Literal["none", "window", "half_life"]
TIERS_ASCENDING: tuple[Tier, ...] = ("inactive", "lurker", "active", "super_fan")
INTERACTION_TYPE = re.compile(r"^[a-z][a-z0-9_]*$")

# The defaults, mirrored by fanlens_default_scoring_weights() in db/sql/scoring.sql (a test
# checks they agree). The origin's six keep the origin's weights; see README "Scoring".
DEFAULT_WEIGHTS: dict[str, Decimal] = {
    "comment": Decimal(5),
    "like": Decimal(1),
    "share": Decimal(10),
    "save": Decimal(8),
    "profile_visit": Decimal(3),
    "link_click": Decimal(15),
    "reply": Decimal(5),
    "repost": Decimal(10),
    "quote": Decimal(12),
    "mention": Decimal(8),
    "follow": Decimal(3),
}


class TierThresholds(BaseModel):
    """The lowest score of each tier; below `lurker` a follower is inactive."""

    super_fan: Number = Decimal(500)
    active: Number = Decimal(100)
    lurker: Number = Decimal(10)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if not (self.super_fan > self.active > self.lurker >= 0):
            raise ValueError("thresholds must satisfy super_fan > active > lurker >= 0")
        return self

    def lowest_score(self, tier: Tier) -> Decimal:
        return {
            "super_fan": self.super_fan,
            "active": self.active,
            "lurker": self.lurker,
            "inactive": Decimal(0),
        }[tier]


class RecencyRule(BaseModel):
    """`none`: all-time counts (the origin). `window`: only the last `days` days count.
    `half_life`: each interaction counts 0.5^(age in days / days)."""

    mode: RecencyMode = "none"
    days: Number | None = None

    @model_validator(mode="after")
    def _days_match_mode(self) -> Self:
        if self.mode == "none" and self.days is not None:
            raise ValueError("recency mode 'none' takes no days")
        if self.mode != "none" and (self.days is None or self.days <= 0):
            raise ValueError(f"recency mode {self.mode!r} needs days > 0")
        return self

    def describe(self) -> str:
        days = f"{self.days.normalize():f}" if self.days is not None else ""
        if self.mode == "window":
            return f"only interactions of the last {days} days count"
        if self.mode == "half_life":
            return f"each interaction's weight halves every {days} days"
        return "all interactions count, whatever their age"


class RecencyIn(RecencyRule):
    days: (
        Annotated[Number, Field(gt=0, le=MAX_RECENCY_DAYS, decimal_places=6, allow_inf_nan=False)]
        | None
    ) = None


class ScoringConfigOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    workspace_id: uuid.UUID
    version: int
    weights: dict[str, Number]
    thresholds: TierThresholds
    recency: RecencyRule
    created_at: datetime


class ScoringConfigChange(BaseModel):
    """A change to the current config: given weights are merged in (0 turns a type off),
    given thresholds replace theirs, a given recency rule replaces the old one."""

    weights: dict[InteractionTypeName, Weight] = Field(default_factory=dict, max_length=100)
    reset_weights: bool = False
    super_fan: Threshold | None = None
    active: Threshold | None = None
    lurker: Threshold | None = None
    recency: RecencyIn | None = None

    @field_validator("recency", mode="before")
    @classmethod
    def _recency_checked(cls, recency: object) -> object:
        # A rule built in Python (the CLI) is checked against the same bounds as a request's.
        return recency.model_dump() if isinstance(recency, RecencyRule) else recency

    @field_validator("weights")
    @classmethod
    def _valid_weights(cls, weights: dict[str, Number]) -> dict[str, Number]:
        for name, weight in weights.items():
            if not INTERACTION_TYPE.match(name):
                raise ValueError(f"interaction type {name!r} must be lowercase letters/digits/_")
            if not weight.is_finite() or weight < 0:
                raise ValueError(f"weight of {name!r} must be a number >= 0")
        return weights


class ExplanationLine(BaseModel):
    interaction_type: str
    count: int
    effective_count: Number  # the count after the recency rule (equal to count without one)
    weight: Number
    points: Number


class ScoreExplanation(BaseModel):
    """Why a follower has their score and tier: count x weight = points, per type."""

    follower_id: uuid.UUID
    workspace_id: uuid.UUID
    username: str | None
    platform: str
    config_version: int
    recency: RecencyRule
    lines: list[ExplanationLine]
    score: Number
    tier: Tier
    thresholds: TierThresholds
    next_tier: Tier | None
    points_to_next_tier: Number | None
    stored_score: Number | None  # what follower_engagement_scores holds (None: never scored)
    computed_at: datetime | None


class TierChangeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    follower_id: uuid.UUID
    from_tier: Tier | None
    to_tier: Tier
    score: Number
    config_version: int
    changed_at: datetime = Field(
        description="behaviour: the time of the interaction that moved the tier (with "
        "time_precision observed, the time fanlens saw it: the tier was reached by then); "
        "config: when the config took effect."
    )
    kind: Literal["behaviour", "config"] = Field(
        description="behaviour: the follower's interactions moved the tier (replayed under the "
        "rules in force); config: a new scoring config did."
    )
    time_precision: Literal["exact", "observed"]


class RescoreResult(BaseModel):
    workspace_id: uuid.UUID
    kind: str
    ran: bool  # False: another worker already ran this scheduled rescore
    followers: int = 0
    config_version: int = 0
    seconds: float = 0.0
