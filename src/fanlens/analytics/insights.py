"""Best platform for a content item, best time to post, tier movement: the rules over the
aggregates that analytics.repository reads."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session

from fanlens.analytics import repository
from fanlens.analytics.retention import shift, window
from fanlens.analytics.schemas import (
    BestPlatform,
    BestTime,
    BestTimeCell,
    Direction,
    Grain,
    PlatformScore,
    TierMove,
    TierMovement,
    TierPeriod,
)
from fanlens.content.repository import content_exists
from fanlens.kit.errors import InvalidInput, NotFound

TIER_RANK = {"inactive": 0, "lurker": 1, "active": 2, "super_fan": 3}


# --- best platform ---------------------------------------------------------------------------


def _ratio(part: float, whole: float | None) -> float | None:
    return part / whole if whole else None


def _score(item: Row[Any], base: Row[Any] | None, followers: int) -> PlatformScore:
    """Rate on views where the item's posts report views; else engagement per post per known
    follower. The platform's own rate on the same basis is the yardstick."""
    if item.views:
        basis, rate = "views", _ratio(item.engagement, item.views)
        platform_rate = _ratio(base.viewed_engagement, base.viewed_views) if base else None
    elif followers:
        basis, rate = "followers", _ratio(item.engagement / item.posts, followers)
        platform_rate = (
            _ratio(base.engagement / base.posts, followers) if base and base.posts else None
        )
    else:
        basis, rate, platform_rate = None, None, None
    index = rate / platform_rate if rate is not None and platform_rate else None
    return PlatformScore(
        platform=item.platform,
        posts=item.posts,
        views=item.views,
        engagement=item.engagement,
        followers=followers,
        basis=basis,
        rate=round(rate, 6) if rate is not None else None,
        platform_rate=round(platform_rate, 6) if platform_rate is not None else None,
        index=round(index, 4) if index is not None else None,
    )


def best_platform(
    *,
    session: Session,
    workspace_id: uuid.UUID,
    content_id: uuid.UUID,
    post_totals: Sequence[Row[Any]] | None = None,
) -> BestPlatform:
    """`post_totals`: the workspace's per-platform post totals when the caller has read them
    already (`service.post_totals`), so a page that also shows the platforms' rates reads the
    posts once."""
    rows = repository.item_platforms(session, workspace_id, content_id)
    if not rows and not content_exists(session, workspace_id, content_id):
        raise NotFound(f"no content item {content_id} in this workspace")
    if post_totals is None:
        post_totals = repository.post_totals(session, workspace_id)
    bases = {b.platform: b for b in post_totals}
    followers = repository.followers_per_platform(session, workspace_id, [r.platform for r in rows])
    scores = [_score(r, bases.get(r.platform), followers.get(r.platform, 0)) for r in rows]
    plain = _most_engagement(scores)
    normalised = max(
        (s for s in scores if s.index is not None),
        key=lambda s: (s.index, s.engagement, s.platform),
        default=None,
    )
    return BestPlatform(
        content_id=content_id,
        most_engagement=plain.platform if plain else None,
        most_engagement_reason=_plain_reason(plain, scores) if plain else None,
        normalised=normalised.platform if normalised else None,
        normalised_reason=_normalised_reason(normalised) if normalised else None,
        platforms=scores,
    )


def _most_engagement(scores: list[PlatformScore]) -> PlatformScore | None:
    """The view's rule v1: most engagement; ties to more views, then the platform name."""
    ordered = sorted(scores, key=lambda s: (-s.engagement, -(s.views or -1), s.platform))
    return ordered[0] if ordered else None


def _plain_reason(best: PlatformScore, scores: list[PlatformScore]) -> str:
    others = ", ".join(f"{s.platform} {s.engagement:,}" for s in scores if s is not best)
    return f"most engagement: {best.engagement:,}" + (f" (vs {others})" if others else "")


def _normalised_reason(best: PlatformScore) -> str:
    what = "of views" if best.basis == "views" else "per post per known follower"
    return (
        f"{best.index:.2f}x its platform's usual rate: {best.rate:.2%} {what} vs "
        f"{best.platform_rate:.2%} over all {best.platform} posts"
    )


# --- best time to post -----------------------------------------------------------------------


_ZONES: list[frozenset[str]] = []  # read once per process


def _time_zones(session: Session) -> frozenset[str]:
    """The database's time zone names. They change only with the server's time zone data (an
    upgrade, a restart), and reading them costs about 100 ms, so a process reads them once."""
    if not _ZONES:
        _ZONES.append(frozenset(repository.time_zone_names(session)))
    return _ZONES[0]


def best_time(
    *, session: Session, workspace_id: uuid.UUID, platform: str | None = None, tz: str = "UTC"
) -> BestTime:
    if tz not in _time_zones(session):  # the database's zone list decides
        raise InvalidInput(f"unknown time zone {tz!r}")
    rows = repository.best_time(
        session, workspace_id, platform=platform.lower() if platform else None, tz=tz
    )
    cells = [
        BestTimeCell(
            platform=r.platform,
            weekday=r.weekday,
            hour=r.hour,
            posts=r.posts,
            avg_engagement=round(r.engagement / r.posts, 2),
        )
        for r in rows
    ]
    by_platform: dict[str, list[BestTimeCell]] = defaultdict(list)
    for c in cells:
        by_platform[c.platform].append(c)
    best = {
        p: sorted(cs, key=lambda c: (-c.avg_engagement, -c.posts, c.weekday, c.hour))[:3]
        for p, cs in by_platform.items()
    }
    return BestTime(tz=tz, cells=cells, best=best)


# --- tier movement ---------------------------------------------------------------------------


def direction(from_tier: str | None, to_tier: str) -> Direction:
    if from_tier is None:
        return "new"
    if from_tier == to_tier:
        return "held"
    return "up" if TIER_RANK.get(to_tier, 0) > TIER_RANK.get(from_tier, 0) else "down"


def tier_movement(
    *,
    session: Session,
    workspace_id: uuid.UUID,
    grain: Grain = "week",
    periods: int = 12,
    as_of: date | None = None,
) -> TierMovement:
    """Per period: behaviour tier changes per (from, to) pair, the followers that held their
    tier (had one before the period, no change in it), and apart, the changes known only to
    have happened by a time in the period (made by an interaction with an observed time)."""
    first, _ = window(grain, periods, as_of)
    starts = [shift(first, grain, n) for n in range(periods)]
    ends = [shift(s, grain, 1) for s in starts]
    moves: dict[date, list[TierMove]] = defaultdict(list)
    unknown: dict[date, int] = defaultdict(int)
    for r in repository.tier_moves(
        session, workspace_id, grain=grain, from_day=first, to_day=ends[-1]
    ):
        if r.time_precision == "observed":
            unknown[r.period] += r.followers
            continue
        d = direction(r.from_tier, r.to_tier)
        moves[r.period].append(
            TierMove(from_tier=r.from_tier, to_tier=r.to_tier, direction=d, followers=r.followers)
        )
    for r in repository.tier_held(session, workspace_id, grain=grain, starts=starts, ends=ends):
        moves[r.period].append(
            TierMove(from_tier=r.tier, to_tier=r.tier, direction="held", followers=r.followers)
        )
    return TierMovement(grain=grain, periods=[_period(s, moves[s], unknown[s]) for s in starts])


def _period(start: date, moves: list[TierMove], time_unknown: int) -> TierPeriod:
    total = {d: sum(m.followers for m in moves if m.direction == d) for d in TIER_DIRECTIONS}
    moves.sort(key=lambda m: (m.direction, m.from_tier or "", m.to_tier))
    return TierPeriod(
        period=start,
        changes=total["up"] + total["down"] + total["new"],
        moves=moves,
        time_unknown=time_unknown,
        **total,
    )


TIER_DIRECTIONS = ("up", "held", "down", "new")
