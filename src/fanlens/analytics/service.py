from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine, Row
from sqlalchemy.orm import Session

from fanlens.analytics import coverage, repository
from fanlens.analytics.schemas import (
    CohortRow,
    Cohorts,
    Overview,
    PlatformCount,
    PlatformTotals,
    SearchTiers,
    TierCount,
    WeeklyPoint,
)


def _row(row: Row[Any]) -> CohortRow:
    return CohortRow.model_validate(row._mapping)


def cohorts(
    *,
    session: Session,
    workspace_id: uuid.UUID,
    platform: str | None,
    since: date | None,
    include_time_unknown: bool = False,
) -> Cohorts:
    rows = repository.cohorts(
        session, workspace_id, platform=platform, since=since, time_unknown=include_time_unknown
    )
    return Cohorts(items=[_row(r) for r in rows])


def export_cohorts(
    *,
    engine: Engine,
    workspace_id: uuid.UUID,
    platform: str | None,
    since: date | None,
    include_time_unknown: bool = False,
) -> Iterator[CohortRow]:
    rows = repository.stream_cohorts(
        engine, workspace_id, platform=platform, since=since, time_unknown=include_time_unknown
    )
    return (_row(r) for r in rows)


TIER_ORDER = ("super_fan", "active", "lurker", "inactive")
TREND_WEEKS = 12


# A username search counts its followers per tier up to this many matches (then "1 000+"):
# a common search term matches a large share of a big audience, and counting them all is a pass
# over every follower. The list of followers itself stays exact.
SEARCH_COUNT_CAP = 1_000


@dataclass(frozen=True)
class TierBreakdown:
    """Followers per tier (of one platform or all) and every platform that has followers.
    `capped`: a username search matched more than `SEARCH_COUNT_CAP` followers, so counting
    stopped and each tier's count is a lower bound (at least that many)."""

    tiers: list[TierCount]
    platforms: list[str]
    capped: bool = False


def tier_breakdown(
    *,
    session: Session,
    workspace_id: uuid.UUID,
    platform: str | None = None,
    rows: Sequence[Row[Any]] | None = None,
    username: str | None = None,
    cap: int = SEARCH_COUNT_CAP,
) -> TierBreakdown:
    """With `username`, the tiers count only the followers whose username holds it (as the
    followers search does), up to `cap` of them; the platforms stay every platform with
    followers."""
    rows = repository.tier_counts(session, workspace_id) if rows is None else rows
    wanted = platform.lower() if platform else None
    counted = rows
    if username:
        counted = repository.tier_counts_of_usernames(
            session, workspace_id, username, platform=wanted, cap=cap
        )
    counts: dict[str, int] = {}
    for r in counted:
        if wanted is None or r.platform == wanted:
            counts[r.tier] = counts.get(r.tier, 0) + r.followers
    return TierBreakdown(
        tiers=[TierCount(tier=t, followers=counts.get(t, 0)) for t in TIER_ORDER],
        platforms=sorted({r.platform for r in rows}),
        capped=bool(username) and sum(counts.values()) > cap,
    )


def search_tiers(
    *,
    session: Session,
    workspace_id: uuid.UUID,
    platform: str | None = None,
    q: str | None = None,
) -> SearchTiers:
    """Followers per tier as the followers page counts them (`q`: a username search)."""
    found = tier_breakdown(
        session=session, workspace_id=workspace_id, platform=platform, username=q
    )
    return SearchTiers(
        tiers=found.tiers, q=q, platform=platform, capped=found.capped, cap=SEARCH_COUNT_CAP
    )


def tier_distribution(
    *, session: Session, workspace_id: uuid.UUID, platform: str | None = None
) -> list[TierCount]:
    """Followers per tier, every tier listed (zero when empty), highest first."""
    return tier_breakdown(session=session, workspace_id=workspace_id, platform=platform).tiers


def _sum(values: list[int | None]) -> int | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def _rate(engagement: int, views: int | None) -> float | None:
    return round(engagement / views, 6) if views else None


def _all_platforms(rows: list[PlatformTotals]) -> PlatformTotals:
    views = _sum([r.views for r in rows])
    # The rate only over platforms that report views: the others would inflate it.
    viewed = sum(r.engagement for r in rows if r.views)
    return PlatformTotals(
        platform="all",
        posts=sum(r.posts for r in rows),
        views=views,
        likes=_sum([r.likes for r in rows]),
        comments=_sum([r.comments for r in rows]),
        shares=_sum([r.shares for r in rows]),
        saves=_sum([r.saves for r in rows]),
        engagement=sum(r.engagement for r in rows),
        engagement_rate=_rate(viewed, views),
        followers=sum(r.followers for r in rows),
        interactions=sum(r.interactions for r in rows),
    )


def post_totals(*, session: Session, workspace_id: uuid.UUID) -> Sequence[Row[Any]]:
    """Per platform: the workspace's posts and their summed metrics (the kept rollup), for a
    page that passes them to `post_rates` and `insights.best_platform`."""
    return repository.post_totals(session, workspace_id)


def post_rates(
    *,
    session: Session,
    workspace_id: uuid.UUID,
    post_totals: Sequence[Row[Any]] | None = None,
) -> dict[str, float | None]:
    """Each platform's engagement rate over all the workspace's posts (the normalising base)."""
    if post_totals is None:
        post_totals = repository.post_totals(session, workspace_id)
    return {r.platform: _rate(r.engagement, r.views) for r in post_totals}


def post_platforms(*, session: Session, workspace_id: uuid.UUID) -> list[str]:
    return sorted(r.platform for r in repository.post_totals(session, workspace_id))


@dataclass(frozen=True)
class _Fans:
    followers: int = 0
    interactions: int = 0


def _fans_per_platform(tier_rows: Sequence[Row[Any]]) -> dict[str, _Fans]:
    fans: dict[str, _Fans] = {}
    for r in tier_rows:
        seen = fans.get(r.platform, _Fans())
        fans[r.platform] = _Fans(seen.followers + r.followers, seen.interactions + r.interactions)
    return fans


def platform_totals(
    *, session: Session, workspace_id: uuid.UUID, tier_rows: Sequence[Row[Any]] | None = None
) -> list[PlatformTotals]:
    posts = {r.platform: r for r in repository.post_totals(session, workspace_id)}
    if tier_rows is None:
        tier_rows = repository.tier_counts(session, workspace_id)
    fans = _fans_per_platform(tier_rows)
    rows = [
        PlatformTotals(
            platform=name,
            posts=p.posts if p else 0,
            views=p.views if p else None,
            likes=p.likes if p else None,
            comments=p.comments if p else None,
            shares=p.shares if p else None,
            saves=p.saves if p else None,
            engagement=p.engagement if p else 0,
            engagement_rate=_rate(p.engagement, p.views) if p else None,
            followers=f.followers if f else 0,
            interactions=f.interactions if f else 0,
        )
        for name in posts.keys() | fans.keys()
        for p, f in [(posts.get(name), fans.get(name))]
    ]
    return sorted(rows, key=lambda r: (-r.engagement, r.platform))


def weekly_trend(*, session: Session, workspace_id: uuid.UUID, weeks: int) -> list[WeeklyPoint]:
    """The last `weeks` weeks up to the newest one any platform's data covers (an archive that
    stopped still shows its trend), every week listed for every platform: 0 when the platform's
    data covers the week and holds nothing in it, None (no data) when it does not cover it."""
    spans = coverage.spans(session, workspace_id)
    if not spans:
        return []
    last = coverage.monday_of(max(s.last_day for s in spans.values()))
    mondays = [last - timedelta(weeks=back) for back in range(weeks - 1, -1, -1)]
    counts = {
        (r.week, r.platform): r.interactions
        for r in repository.weekly_trend(session, workspace_id, mondays[0])
    }
    return [
        WeeklyPoint(
            week=monday,
            platform=platform,
            interactions=counts.get((monday, platform), 0) if span.covers_week(monday) else None,
        )
        for monday in mondays
        for platform, span in sorted(spans.items())
    ]


def overview(*, session: Session, workspace_id: uuid.UUID, weeks: int = TREND_WEEKS) -> Overview:
    tier_rows = repository.tier_counts(session, workspace_id)
    platforms = platform_totals(session=session, workspace_id=workspace_id, tier_rows=tier_rows)
    return Overview(
        platforms=platforms,
        totals=_all_platforms(platforms),
        weekly=weekly_trend(session=session, workspace_id=workspace_id, weeks=weeks),
        time_unknown=[
            PlatformCount(platform=r.platform, interactions=r.interactions)
            for r in repository.time_unknown(session, workspace_id)
        ],
        tiers=tier_breakdown(session=session, workspace_id=workspace_id, rows=tier_rows).tiers,
    )
