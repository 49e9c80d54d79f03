from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

from sqlalchemy import Engine, Row
from sqlalchemy.orm import Session

from fanlens.analytics import repository
from fanlens.analytics.schemas import (
    CohortRow,
    Cohorts,
    Overview,
    PlatformTotals,
    TierCount,
    WeeklyPoint,
)
from fanlens.kit import listing


def _row(row: Row[Any]) -> CohortRow:
    return CohortRow.model_validate(row._mapping)


def cohorts(
    *, session: Session, workspace_id: uuid.UUID, platform: str | None, since: date | None
) -> Cohorts:
    stmt = repository.cohorts_select(workspace_id, platform=platform, since=since)
    return Cohorts(items=[_row(r) for r in session.execute(stmt)])


def export_cohorts(
    *, engine: Engine, workspace_id: uuid.UUID, platform: str | None, since: date | None
) -> Iterator[CohortRow]:
    stmt = repository.cohorts_select(workspace_id, platform=platform, since=since)
    return listing.stream(engine, stmt, to_item=_row)


TIER_ORDER = ("super_fan", "active", "lurker", "inactive")
TREND_WEEKS = 12


def tier_distribution(
    *, session: Session, workspace_id: uuid.UUID, platform: str | None = None
) -> list[TierCount]:
    """Followers per tier, every tier listed (zero when empty), highest first."""
    counts = {r.tier: r.followers for r in repository.tier_counts(session, workspace_id, platform)}
    return [TierCount(tier=t, followers=counts.get(t, 0)) for t in TIER_ORDER]


def _sum(values: list[int | None]) -> int | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def _all_platforms(rows: list[PlatformTotals]) -> PlatformTotals:
    views = _sum([r.views for r in rows])
    engagement = sum(r.engagement for r in rows)
    # The rate only over platforms that report views: others would inflate it.
    viewed = sum(r.engagement for r in rows if r.views)
    return PlatformTotals(
        platform="all",
        posts=sum(r.posts for r in rows),
        views=views,
        likes=_sum([r.likes for r in rows]),
        comments=_sum([r.comments for r in rows]),
        shares=_sum([r.shares for r in rows]),
        saves=_sum([r.saves for r in rows]),
        engagement=engagement,
        engagement_rate=round(viewed / views, 6) if views else None,
        followers=sum(r.followers for r in rows),
        interactions=sum(r.interactions for r in rows),
    )


def overview(*, session: Session, workspace_id: uuid.UUID, weeks: int = TREND_WEEKS) -> Overview:
    platforms = overview_platforms(session=session, workspace_id=workspace_id)
    return Overview(
        platforms=platforms,
        totals=_all_platforms(platforms),
        weekly=[
            WeeklyPoint.model_validate(r._mapping)
            for r in repository.weekly_trend(session, workspace_id, weeks)
        ],
        tiers=tier_distribution(session=session, workspace_id=workspace_id),
    )


def overview_platforms(*, session: Session, workspace_id: uuid.UUID) -> list[PlatformTotals]:
    """Per-platform totals alone (the platforms a workspace has, and their average rates)."""
    return [
        PlatformTotals.model_validate(r._mapping)
        for r in repository.platform_totals(session, workspace_id)
    ]
