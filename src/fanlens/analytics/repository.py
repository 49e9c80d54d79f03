from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    Engine,
    Row,
    Select,
    cast,
    column,
    func,
    null,
    select,
    table,
    text,
)
from sqlalchemy.orm import Session

from fanlens.audience.models import Follower
from fanlens.kit.sql import handle_contains, stream
from fanlens.scoring.models import FollowerEngagementScore

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
    workspace_id: uuid.UUID, *, platform: str | None, since: date | None, time_unknown: bool
) -> Select[Any]:
    """Rows of the follower_cohorts view, newest week first (weeks x platforms: small); with
    `time_unknown`, then one row per platform (cohort_week NULL) for the followers known only
    from observed-time interactions."""
    v = follower_cohorts.c
    stmt = select(*(c for c in follower_cohorts.c if c.name != "workspace_id")).where(
        v.workspace_id == workspace_id
    )
    if platform:
        stmt = stmt.where(v.platform == platform.lower())
    if since is not None:
        stmt = stmt.where(v.cohort_week >= since)
    if time_unknown:
        union = stmt.union_all(_time_unknown_cohorts(workspace_id, platform)).subquery()
        return select(union).order_by(union.c.cohort_week.desc().nulls_last(), union.c.platform)
    return stmt.order_by(v.cohort_week.desc(), v.platform)


def cohorts(
    session: Session,
    workspace_id: uuid.UUID,
    *,
    platform: str | None,
    since: date | None,
    time_unknown: bool,
) -> Sequence[Row[Any]]:
    stmt = cohorts_select(workspace_id, platform=platform, since=since, time_unknown=time_unknown)
    return session.execute(stmt).all()


def stream_cohorts(
    engine: Engine,
    workspace_id: uuid.UUID,
    *,
    platform: str | None,
    since: date | None,
    time_unknown: bool,
) -> Iterator[Row[Any]]:
    """The cohorts' rows on a connection of their own (a CSV export)."""
    stmt = cohorts_select(workspace_id, platform=platform, since=since, time_unknown=time_unknown)
    return stream(engine, stmt)


def time_unknown_followers(session: Session, workspace_id: uuid.UUID, platform: str | None) -> int:
    rows = session.execute(_time_unknown_cohorts(workspace_id, platform)).all()
    return sum(r.follower_count for r in rows)


def _time_unknown_cohorts(workspace_id: uuid.UUID, platform: str | None) -> Select[Any]:
    """Followers with interactions (a score row) but no exact-time one (no first seen)."""
    f, s = Follower, FollowerEngagementScore
    stmt = (
        select(
            cast(null(), Date).label("cohort_week"),
            f.platform,
            func.count().label("follower_count"),
            cast(null(), BigInteger).label("active_30d"),
            func.count().filter(s.engagement_tier == "super_fan").label("super_fans"),
            func.count().filter(s.engagement_tier == "active").label("active_fans"),
            func.count().filter(s.engagement_tier == "lurker").label("lurkers"),
            func.round(func.avg(s.engagement_score), 2).label("avg_engagement_score"),
        )
        .join(s, (s.follower_id == f.id) & (s.workspace_id == f.workspace_id))
        .where(
            f.workspace_id == workspace_id,
            f.first_seen_at.is_(None),
            s.interaction_count > 0,
        )
        .group_by(f.platform)
    )
    if platform:
        stmt = stmt.where(f.platform == platform.lower())
    return stmt


# --- overview --------------------------------------------------------------------------------
# Per platform: the posts and their summed reported metrics (a metric no post reports is NULL);
# `viewed_*` only over the posts that report views (the best-platform comparison's bases). From
# the rollup the triggers keep (platform_post_totals): a few rows, not every post.
_POST_TOTALS = text(
    """
    SELECT platform, posts,
           CASE WHEN views_reported > 0 THEN views END AS views,
           CASE WHEN likes_reported > 0 THEN likes END AS likes,
           CASE WHEN comments_reported > 0 THEN comments END AS comments,
           CASE WHEN shares_reported > 0 THEN shares END AS shares,
           CASE WHEN saves_reported > 0 THEN saves END AS saves,
           likes + comments + shares + saves AS engagement,
           CASE WHEN viewed_posts > 0 THEN viewed_views END AS viewed_views,
           viewed_engagement
    FROM platform_post_totals WHERE workspace_id = :ws
    """
)
# Exact-time interactions per UTC week (Monday) and platform from `first_week` on, read from the
# per-platform daily rollup the triggers keep (interaction_platform_days): a few hundred rows,
# not the log nor the per-item daily rows. Weeks without any are absent (the caller fills them).
_WEEKLY_TREND = text(
    """
    SELECT date_trunc('week', d.day)::date AS week, d.platform,
           sum(d.interaction_count)::bigint AS interactions
    FROM interaction_platform_days d
    WHERE d.workspace_id = :ws AND d.day >= :first_week
    GROUP BY 1, 2 HAVING sum(d.interaction_count) > 0
    """
)
# Observed-time interactions per platform: the rollup's day NULL rows ("time unknown").
_TIME_UNKNOWN = text(
    """
    SELECT platform, sum(interaction_count)::bigint AS interactions
    FROM interaction_platform_days
    WHERE workspace_id = :ws AND day IS NULL
    GROUP BY platform HAVING sum(interaction_count) > 0 ORDER BY platform
    """
)

# Followers per platform and tier, with their interactions, from the rollup the triggers keep
# (follower_tier_counts; followers without a score row count as inactive).
_TIERS = text(
    """
    SELECT platform, tier, followers, interactions
    FROM follower_tier_counts
    WHERE workspace_id = :ws AND followers > 0
    """
)


# The tiers of the followers a username search finds: no derived table holds them, and counting
# every match reads every follower (over 1 s on 1 000 000, without pg_trgm). So the count stops at
# :cap + 1 matches in the table's order: more than :cap back means each count is a lower bound.
# A search matching few followers still reads them all (the LIKE has no index to use).
_TIERS_OF_USERNAMES = text(
    r"""
    SELECT m.platform, m.tier, count(*) AS followers
    FROM (SELECT f.platform, coalesce(s.engagement_tier, 'inactive') AS tier
          FROM followers f
          LEFT JOIN follower_engagement_scores s
                 ON s.follower_id = f.id AND s.workspace_id = f.workspace_id
          WHERE f.workspace_id = :ws AND lower(f.username) LIKE :q ESCAPE '\'
            AND (CAST(:platform AS text) IS NULL OR f.platform = :platform)
          LIMIT :cap + 1) m
    GROUP BY 1, 2
    """
)


def tier_counts_of_usernames(
    session: Session, workspace_id: uuid.UUID, username: str, *, platform: str | None, cap: int
) -> Sequence[Row[Any]]:
    """Per platform and tier, the followers whose username holds `username` (of `platform`
    alone when given), counted over at most `cap` + 1 of them."""
    params = {"ws": workspace_id, "q": handle_contains(username), "platform": platform, "cap": cap}
    return session.execute(_TIERS_OF_USERNAMES, params).all()


def post_totals(session: Session, workspace_id: uuid.UUID) -> Sequence[Row[Any]]:
    """Per platform: posts and their summed reported metrics."""
    return session.execute(_POST_TOTALS, {"ws": workspace_id}).all()


def weekly_trend(session: Session, workspace_id: uuid.UUID, first_week: date) -> Sequence[Row[Any]]:
    return session.execute(_WEEKLY_TREND, {"ws": workspace_id, "first_week": first_week}).all()


def time_unknown(session: Session, workspace_id: uuid.UUID) -> Sequence[Row[Any]]:
    return session.execute(_TIME_UNKNOWN, {"ws": workspace_id}).all()


def tier_counts(session: Session, workspace_id: uuid.UUID) -> Sequence[Row[Any]]:
    """Followers and their interactions per platform and tier: one scan of the followers
    serves the per-platform totals, the tier chart and the platform filter."""
    return session.execute(_TIERS, {"ws": workspace_id}).all()


# --- retention -------------------------------------------------------------------------------
# Each query returns (cohort, period, active, last_active): followers of a first-seen cohort
# active in a period, and how many of them were last active in it (the unbounded count is
# the sum of last_active over this and later periods).

# Any interaction type, no first-touch filter: the matrix kept by the triggers. A follower is
# last active in their latest active period; the unbounded read counts them in the latest one up
# to the current period (`:last`), so activity after it must not move them out of earlier cells.
_RETENTION_KEPT = text(
    """
    SELECT cohort, period, sum(followers)::bigint AS active,
           sum(last_active)::bigint AS last_active
    FROM retention_cells
    WHERE workspace_id = :ws AND grain = :grain AND cohort BETWEEN :first AND :last
      AND (CAST(:platform AS text) IS NULL OR platform = :platform)
    GROUP BY 1, 2
    """
)

# When a cohort's follower was last active after the current period (times in the future), the
# kept counts place them there: one pass over the cohorts' followers instead. last_seen_at gives
# the last period when it lies before the window's end; otherwise one index probe of their
# active periods.
_RETENTION_CELLS = text(
    """
    WITH cells AS (
        SELECT cohort, period, sum(followers)::bigint AS active
        FROM retention_cells
        WHERE workspace_id = :ws AND grain = :grain AND cohort BETWEEN :first AND :last
          AND (CAST(:platform AS text) IS NULL OR platform = :platform)
        GROUP BY 1, 2),
    lasts AS (
        SELECT date_trunc(:grain, f.first_seen_at AT TIME ZONE 'UTC')::date AS cohort,
               CASE WHEN f.last_seen_at < :to_ts
                    THEN date_trunc(:grain, f.last_seen_at AT TIME ZONE 'UTC')::date
                    ELSE (SELECT max(a.period) FROM follower_active_periods a
                          WHERE a.follower_id = f.id AND a.workspace_id = f.workspace_id
                            AND a.grain = :grain AND a.period <= :last)
               END AS period,
               count(*)::bigint AS last_active
        FROM followers f
        WHERE f.workspace_id = :ws AND f.first_seen_at >= :from_ts AND f.first_seen_at < :to_ts
          AND (CAST(:platform AS text) IS NULL OR f.platform = :platform)
        GROUP BY 1, 2)
    SELECT coalesce(c.cohort, l.cohort) AS cohort, coalesce(c.period, l.period) AS period,
           coalesce(c.active, 0) AS active, coalesce(l.last_active, 0) AS last_active
    FROM cells c FULL JOIN lasts l ON l.cohort = c.cohort AND l.period = c.period
    """
)

# Chosen interaction types or one first-touch content item: computed from the log, for the
# cohorts asked about only, up to the end of the current period.
_RETENTION_FANS = """
    SELECT f.id, f.workspace_id,
           date_trunc(:grain, f.first_seen_at AT TIME ZONE 'UTC')::date AS cohort
    FROM followers f
    WHERE f.workspace_id = :ws AND f.first_seen_at >= :from_ts AND f.first_seen_at < :to_ts
      AND (CAST(:platform AS text) IS NULL OR f.platform = :platform)
      AND (CAST(:content AS uuid) IS NULL OR (
          SELECT i.content_id FROM follower_interactions i
          WHERE i.follower_id = f.id AND i.workspace_id = f.workspace_id
            AND i.content_id IS NOT NULL
            AND i.time_precision = 'exact'
          ORDER BY i.occurred_at, i.id LIMIT 1) = CAST(:content AS uuid))
"""
_RETENTION_LOG = text(
    f"""
    WITH fans AS ({_RETENTION_FANS}),
    acts AS (
        SELECT DISTINCT i.follower_id,
               date_trunc(:grain, i.occurred_at AT TIME ZONE 'UTC')::date AS period
        FROM follower_interactions i
        JOIN fans ON fans.id = i.follower_id AND fans.workspace_id = i.workspace_id
        WHERE i.time_precision = 'exact' AND i.occurred_at < :to_ts  -- nothing after as_of's day
          AND (CAST(:types AS text[]) IS NULL
               OR i.interaction_type = ANY (CAST(:types AS text[])))),
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
    to_ts: datetime  # the window's end, or the as_of cut when that comes first
    cut: datetime | None  # a past as_of's day end: nothing after it counts
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
            "cut": self.cut,
            "platform": self.platform,
            "types": self.types,
            "content": self.content_id,
        }


# Bounded and any type: the kept cells alone. Everyone is active in their own first period, so
# the cohort sizes are the cells where period = cohort; no follower is read.
_RETENTION_CELLS_ONLY = text(
    """
    SELECT cohort, period, sum(followers)::bigint AS active,
           sum(followers) FILTER (WHERE period = cohort)::bigint AS size
    FROM retention_cells
    WHERE workspace_id = :ws AND grain = :grain AND cohort BETWEEN :first AND :last
      AND (CAST(:platform AS text) IS NULL OR platform = :platform)
    GROUP BY 1, 2
    """
)


def retention_rows(session: Session, q: RetentionQuery, *, unbounded: bool) -> Sequence[Row[Any]]:
    """(cohort, period, active, last_active) rows; bounded reads of every type add `size` and
    leave last_active out (not needed)."""
    # The kept cells hold whole periods: a cut inside one (a past as_of) reads the log.
    if q.types is not None or q.content_id is not None or q.cut is not None:
        return session.execute(_RETENTION_LOG, q.params()).all()
    if not unbounded:
        return session.execute(_RETENTION_CELLS_ONLY, q.params()).all()
    rows = session.execute(_RETENTION_KEPT, q.params()).all()
    if any(r.period > q.last and r.last_active for r in rows):
        return session.execute(_RETENTION_CELLS, q.params()).all()
    return rows


def cohort_sizes(session: Session, q: RetentionQuery) -> dict[date, int]:
    return {r.cohort: r.size for r in session.execute(_COHORT_SIZES, q.params())}


_RETENTION_PEOPLE = text(
    f"""
    WITH fans AS ({_RETENTION_FANS})
    SELECT f.id, f.platform, f.external_user_id, f.username, f.display_name, f.first_seen_at,
           f.last_seen_at
    FROM fans JOIN followers f ON f.id = fans.id AND f.workspace_id = fans.workspace_id
    WHERE EXISTS (
        SELECT 1 FROM follower_interactions i
        WHERE i.follower_id = f.id AND i.workspace_id = f.workspace_id
          AND i.occurred_at >= :period_from
          AND i.time_precision = 'exact'
          AND (CAST(:period_to AS timestamptz) IS NULL OR i.occurred_at < :period_to)
          AND (CAST(:cut AS timestamptz) IS NULL OR i.occurred_at < :cut)
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


# --- best time to post -----------------------------------------------------------------------
# Engagement a post drew in its first 24 hours: the exact-time interactions stored for it in that
# window (reported metrics and observed-time interactions carry no time of the action, so they
# cannot say when the engagement came), kept per post with its platform and posted_at in
# post_first_day_engagement (db/sql/insights.sql). The local weekday and hour are grouped as one
# number (the hour of the week), so the planner hashes a few hundred groups instead of sorting
# every post by three keys.
_BEST_TIME = text(
    """
    SELECT x.platform, x.slot / 24 + 1 AS weekday, x.slot % 24 AS hour,
           count(*)::bigint AS posts, sum(x.engagement)::bigint AS engagement
    FROM (SELECT e.platform, e.engagement,
                 ((date_part('isodow', t.local) - 1) * 24 + date_part('hour', t.local))::int
                     AS slot
          FROM post_first_day_engagement e
          CROSS JOIN LATERAL (SELECT e.posted_at AT TIME ZONE :tz AS local) t
          WHERE e.workspace_id = :ws
            AND (CAST(:platform AS text) IS NULL OR e.platform = :platform)) x
    GROUP BY x.platform, x.slot
    ORDER BY 1, 2, 3
    """
)


def best_time(
    session: Session, workspace_id: uuid.UUID, *, platform: str | None, tz: str
) -> Sequence[Row[Any]]:
    return session.execute(_BEST_TIME, {"ws": workspace_id, "platform": platform, "tz": tz}).all()


# --- tier movement ---------------------------------------------------------------------------
# Behaviour only: a new scoring config moves no fan. A change dated by an observed time
# (reached by then, moment unknown) is its own part, `time_precision` = 'observed'. Read from
# the changes per UTC day (tier_change_days); periods start at UTC midnights.
_TIER_MOVES = text(
    """
    SELECT date_trunc(:grain, d.day::timestamp)::date AS period,
           d.from_tier, d.to_tier, d.time_precision, sum(d.changes)::bigint AS followers
    FROM tier_change_days d
    WHERE d.workspace_id = :ws AND d.day >= :from_day AND d.day < :to_day
    GROUP BY 1, 2, 3, 4
    """
)
# Held: followers whose last known tier before the period stayed unchanged through it. From
# the tier spans per day (tier_hold_days, db/sql/insights.sql): the spans begun before the
# period's start less those ended before it are the holders at its start; of those, the ones
# that ended inside the period (having begun before the period: `exited_held_<grain>`) did not
# hold through it. The days are first summed per period (width_bucket: 0 before the first), so
# the periods read a few dozen sums instead of every day before them.
_TIER_HELD = text(
    """
    WITH sums AS (
        SELECT h.tier, width_bucket(h.day, CAST(:starts AS date[])) AS n,
               sum(h.entered - h.exited) AS net,
               sum(CASE WHEN :grain = 'week' THEN h.exited_held_week
                        ELSE h.exited_held_month END) AS left_held
        FROM tier_hold_days h
        WHERE h.workspace_id = :ws AND h.day < :last_stop
        GROUP BY 1, 2)
    SELECT p.start AS period, s.tier,
           (sum(s.net) FILTER (WHERE s.n < p.n)
            - coalesce(sum(s.left_held) FILTER (WHERE s.n = p.n), 0))::bigint AS followers
    FROM unnest(CAST(:starts AS date[])) WITH ORDINALITY AS p (start, n)
    JOIN sums s ON s.n <= p.n
    GROUP BY 1, 2
    HAVING sum(s.net) FILTER (WHERE s.n < p.n)
           - coalesce(sum(s.left_held) FILTER (WHERE s.n = p.n), 0) > 0
    """
)


def tier_moves(
    session: Session,
    workspace_id: uuid.UUID,
    *,
    grain: str,
    from_day: date,
    to_day: date,
) -> Sequence[Row[Any]]:
    params = {"ws": workspace_id, "grain": grain, "from_day": from_day, "to_day": to_day}
    return session.execute(_TIER_MOVES, params).all()


def tier_held(
    session: Session,
    workspace_id: uuid.UUID,
    *,
    grain: str,
    starts: list[date],
    ends: list[date],
) -> Sequence[Row[Any]]:
    """Periods of `grain` given by ascending starts and their ends."""
    params = {"ws": workspace_id, "grain": grain, "starts": starts, "last_stop": ends[-1]}
    return session.execute(_TIER_HELD, params).all()


# --- best platform ---------------------------------------------------------------------------
_ITEM_PLATFORMS = text(
    """
    SELECT p.platform, count(*)::bigint AS posts, sum(p.views)::bigint AS views,
           (coalesce(sum(p.likes), 0) + coalesce(sum(p.comments), 0) + coalesce(sum(p.shares), 0)
            + coalesce(sum(p.saves), 0))::bigint AS engagement
    FROM content_posts p
    WHERE p.workspace_id = :ws AND p.content_id = :content
    GROUP BY p.platform
    ORDER BY p.platform
    """
)


def item_platforms(
    session: Session, workspace_id: uuid.UUID, content_id: uuid.UUID
) -> Sequence[Row[Any]]:
    return session.execute(_ITEM_PLATFORMS, {"ws": workspace_id, "content": content_id}).all()


# From the tier rollup: a handful of rows rather than a count of the workspace's followers.
_FOLLOWERS_PER_PLATFORM = text(
    """
    SELECT platform, sum(followers)::bigint AS followers FROM follower_tier_counts
    WHERE workspace_id = :ws AND platform = ANY (CAST(:platforms AS text[]))
    GROUP BY platform
    """
)


def followers_per_platform(
    session: Session, workspace_id: uuid.UUID, platforms: list[str]
) -> dict[str, int]:
    rows = session.execute(_FOLLOWERS_PER_PLATFORM, {"ws": workspace_id, "platforms": platforms})
    return {r.platform: r.followers for r in rows}


# Per platform, the first and last UTC day its data covers (see fanlens.analytics.coverage).
_SPANS = text(
    """
    WITH exact AS (
        SELECT platform, min(day) AS first_day, max(day) AS last_day
        FROM interaction_platform_days
        WHERE workspace_id = :ws AND day IS NOT NULL AND interaction_count > 0
        GROUP BY platform),
    synced AS (
        SELECT a.platform, min((r.finished_at AT TIME ZONE 'UTC')::date) AS first_day,
               max((r.finished_at AT TIME ZONE 'UTC')::date) AS last_day
        FROM sync_runs r JOIN accounts a ON a.id = r.account_id AND a.workspace_id = r.workspace_id
        WHERE r.workspace_id = :ws AND r.status = 'succeeded' AND r.finished_at IS NOT NULL
        GROUP BY a.platform)
    SELECT coalesce(e.platform, s.platform) AS platform,
           coalesce(e.first_day, s.first_day) AS first_day,
           greatest(e.last_day, s.last_day) AS last_day
    FROM exact e FULL JOIN synced s ON s.platform = e.platform
    """
)


def coverage_spans(session: Session, workspace_id: uuid.UUID) -> Sequence[Row[Any]]:
    return session.execute(_SPANS, {"ws": workspace_id}).all()


def time_zone_names(session: Session) -> set[str]:
    """The database's time zone names (pg_timezone_names reads every zone file: about 100 ms)."""
    return set(session.execute(text("SELECT name FROM pg_timezone_names")).scalars())
