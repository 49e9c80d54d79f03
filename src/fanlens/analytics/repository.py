from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, Select, column, select, table, text
from sqlalchemy.orm import Session

follower_cohorts = table(
    "follower_cohorts",
    column("workspace_id"),
    column("cohort_week"),
    column("platform"),
    column("follower_count"),
    column("active_30d"),
    column("super_fans"),
    column("active_fans"),
    column("lurkers"),
    column("avg_engagement_score"),
)


def cohorts_select(
    workspace_id: uuid.UUID, *, platform: str | None, since: date | None
) -> Select[Any]:
    """Rows of the follower_cohorts view, newest week first (weeks x platforms: small)."""
    v = follower_cohorts.c
    stmt = (
        select(*(c for c in follower_cohorts.c if c.name != "workspace_id"))
        .where(v.workspace_id == workspace_id)
        .order_by(v.cohort_week.desc(), v.platform)
    )
    if platform:
        stmt = stmt.where(v.platform == platform.lower())
    if since is not None:
        stmt = stmt.where(v.cohort_week >= since)
    return stmt


# --- overview --------------------------------------------------------------------------------
_POST_TOTALS = text(
    """
    SELECT platform, count(*)::bigint AS posts, sum(views)::bigint AS views,
           sum(likes)::bigint AS likes, sum(comments)::bigint AS comments,
           sum(shares)::bigint AS shares, sum(saves)::bigint AS saves,
           (coalesce(sum(likes), 0) + coalesce(sum(comments), 0) + coalesce(sum(shares), 0)
            + coalesce(sum(saves), 0))::bigint AS engagement
    FROM content_posts WHERE workspace_id = :ws GROUP BY platform
    """
)
# Interactions per UTC week (Monday) and platform over the last `weeks` weeks of data; weeks
# are counted back from the newest interaction, so an archive that stopped still shows a trend.
_WEEKLY_TREND = text(
    """
    WITH latest AS (
        SELECT max(occurred_at) AS at FROM follower_interactions WHERE workspace_id = :ws),
    bounds AS (
        SELECT date_trunc('week', at AT TIME ZONE 'UTC') - make_interval(weeks => :weeks - 1)
               AS first_week
        FROM latest)
    SELECT date_trunc('week', i.occurred_at AT TIME ZONE 'UTC')::date AS week, i.platform,
           count(*)::bigint AS interactions
    FROM follower_interactions i, bounds b
    WHERE i.workspace_id = :ws AND i.occurred_at >= b.first_week AT TIME ZONE 'UTC'
    GROUP BY 1, 2 ORDER BY 1, 2
    """
)

# Followers without a score row have never interacted: they count as inactive. Interactions
# are summed from the score rows, so the overview never scans the interaction log for them.
_TIERS = text(
    """
    SELECT f.platform, coalesce(s.engagement_tier, 'inactive') AS tier,
           count(*)::bigint AS followers,
           coalesce(sum(s.interaction_count), 0)::bigint AS interactions
    FROM followers f LEFT JOIN follower_engagement_scores s ON s.follower_id = f.id
    WHERE f.workspace_id = :ws
    GROUP BY 1, 2
    """
)


def post_totals(session: Session, workspace_id: uuid.UUID) -> Sequence[Row[Any]]:
    """Per platform: posts and their summed reported metrics."""
    return session.execute(_POST_TOTALS, {"ws": workspace_id}).all()


def weekly_trend(session: Session, workspace_id: uuid.UUID, weeks: int) -> Sequence[Row[Any]]:
    return session.execute(_WEEKLY_TREND, {"ws": workspace_id, "weeks": weeks}).all()


def tier_counts(session: Session, workspace_id: uuid.UUID) -> Sequence[Row[Any]]:
    """Followers and their interactions per platform and tier: one scan of the followers
    serves the per-platform totals, the tier chart and the platform filter."""
    return session.execute(_TIERS, {"ws": workspace_id}).all()


# --- retention -------------------------------------------------------------------------------
# Each query returns (cohort, period, active, last_active): followers of a first-seen cohort
# active in a period, and how many of them were last active in it (the unbounded count is
# the sum of last_active over this and later periods).

# Any interaction type, no first-touch filter: the matrix kept by the triggers, plus one pass
# over the cohort's followers (last_seen_at) for the "on or after" counts.
_RETENTION_CELLS = text(
    """
    WITH cells AS (
        SELECT cohort, period, sum(followers)::bigint AS active
        FROM retention_cells
        WHERE workspace_id = :ws AND grain = :grain AND cohort BETWEEN :first AND :last
          AND (CAST(:platform AS text) IS NULL OR platform = :platform)
        GROUP BY 1, 2),
    lasts AS (
        SELECT date_trunc(:grain, first_seen_at AT TIME ZONE 'UTC')::date AS cohort,
               date_trunc(:grain, last_seen_at AT TIME ZONE 'UTC')::date AS period,
               count(*)::bigint AS last_active
        FROM followers
        WHERE workspace_id = :ws AND first_seen_at >= :from_ts AND first_seen_at < :to_ts
          AND (CAST(:platform AS text) IS NULL OR platform = :platform)
        GROUP BY 1, 2)
    SELECT coalesce(c.cohort, l.cohort) AS cohort, coalesce(c.period, l.period) AS period,
           coalesce(c.active, 0) AS active, coalesce(l.last_active, 0) AS last_active
    FROM cells c FULL JOIN lasts l ON l.cohort = c.cohort AND l.period = c.period
    """
)

# Chosen interaction types or one first-touch content item: computed from the log, for the
# cohorts asked about only.
_RETENTION_FANS = """
    SELECT f.id, date_trunc(:grain, f.first_seen_at AT TIME ZONE 'UTC')::date AS cohort
    FROM followers f
    WHERE f.workspace_id = :ws AND f.first_seen_at >= :from_ts AND f.first_seen_at < :to_ts
      AND (CAST(:platform AS text) IS NULL OR f.platform = :platform)
      AND (CAST(:content AS uuid) IS NULL OR (
          SELECT i.content_id FROM follower_interactions i
          WHERE i.follower_id = f.id AND i.content_id IS NOT NULL
          ORDER BY i.occurred_at, i.id LIMIT 1) = CAST(:content AS uuid))
"""
_RETENTION_LOG = text(
    f"""
    WITH fans AS ({_RETENTION_FANS}),
    acts AS (
        SELECT DISTINCT i.follower_id,
               date_trunc(:grain, i.occurred_at AT TIME ZONE 'UTC')::date AS period
        FROM follower_interactions i JOIN fans ON fans.id = i.follower_id
        WHERE CAST(:types AS text[]) IS NULL OR i.interaction_type = ANY (CAST(:types AS text[]))),
    marked AS (
        SELECT follower_id, period, period = max(period) OVER (PARTITION BY follower_id) AS last
        FROM acts)
    SELECT fans.cohort, m.period, count(*)::bigint AS active,
           count(*) FILTER (WHERE m.last)::bigint AS last_active
    FROM marked m JOIN fans ON fans.id = m.follower_id
    GROUP BY 1, 2
    """
)
_COHORT_SIZES = text(
    f"SELECT cohort, count(*)::bigint AS size FROM ({_RETENTION_FANS}) fans GROUP BY cohort"
)


@dataclass(frozen=True)
class RetentionQuery:
    workspace_id: uuid.UUID
    grain: str
    first: date
    last: date
    from_ts: datetime
    to_ts: datetime
    platform: str | None
    types: list[str] | None
    content_id: uuid.UUID | None

    def params(self) -> dict[str, Any]:
        return {
            "ws": self.workspace_id,
            "grain": self.grain,
            "first": self.first,
            "last": self.last,
            "from_ts": self.from_ts,
            "to_ts": self.to_ts,
            "platform": self.platform,
            "types": self.types,
            "content": self.content_id,
        }


def retention_rows(session: Session, q: RetentionQuery) -> Sequence[Row[Any]]:
    fast = q.types is None and q.content_id is None
    return session.execute(_RETENTION_CELLS if fast else _RETENTION_LOG, q.params()).all()


def cohort_sizes(session: Session, q: RetentionQuery) -> dict[date, int]:
    return {r.cohort: r.size for r in session.execute(_COHORT_SIZES, q.params())}


_RETENTION_PEOPLE = text(
    f"""
    WITH fans AS ({_RETENTION_FANS})
    SELECT f.id, f.platform, f.external_user_id, f.username, f.display_name, f.first_seen_at,
           f.last_seen_at
    FROM fans JOIN followers f ON f.id = fans.id
    WHERE EXISTS (
        SELECT 1 FROM follower_interactions i
        WHERE i.follower_id = f.id AND i.occurred_at >= :period_from
          AND (CAST(:period_to AS timestamptz) IS NULL OR i.occurred_at < :period_to)
          AND (CAST(:types AS text[]) IS NULL OR i.interaction_type = ANY (CAST(:types AS text[]))))
    ORDER BY f.username NULLS LAST, f.id
    LIMIT :limit
    """
)


def retention_people(
    session: Session,
    q: RetentionQuery,
    *,
    period_from: datetime,
    period_to: datetime | None,
    limit: int,
) -> Sequence[Row[Any]]:
    params = {**q.params(), "period_from": period_from, "period_to": period_to, "limit": limit}
    return session.execute(_RETENTION_PEOPLE, params).all()
