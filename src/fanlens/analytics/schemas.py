from __future__ import annotations

from datetime import date

from pydantic import BaseModel


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
