from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
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
# Per platform: posts and their reported metrics, followers, and interactions stored (summed
# from the per-follower score rows, so the overview never scans the interaction log).
_PLATFORM_TOTALS = text(
    """
    WITH posts AS (
        SELECT platform, count(*) AS posts, sum(views) AS views, sum(likes) AS likes,
               sum(comments) AS comments, sum(shares) AS shares, sum(saves) AS saves
        FROM content_posts WHERE workspace_id = :ws GROUP BY platform),
    fans AS (
        SELECT f.platform, count(*) AS followers,
               coalesce(sum(s.interaction_count), 0) AS interactions
        FROM followers f
        LEFT JOIN follower_engagement_scores s ON s.follower_id = f.id
        WHERE f.workspace_id = :ws GROUP BY f.platform)
    SELECT coalesce(p.platform, f.platform) AS platform,
           coalesce(p.posts, 0)::bigint AS posts,
           p.views::bigint AS views, p.likes::bigint AS likes, p.comments::bigint AS comments,
           p.shares::bigint AS shares, p.saves::bigint AS saves,
           (coalesce(p.likes, 0) + coalesce(p.comments, 0) + coalesce(p.shares, 0)
            + coalesce(p.saves, 0))::bigint AS engagement,
           round((coalesce(p.likes, 0) + coalesce(p.comments, 0) + coalesce(p.shares, 0)
                  + coalesce(p.saves, 0))::numeric / nullif(p.views, 0), 6) AS engagement_rate,
           coalesce(f.followers, 0)::bigint AS followers,
           coalesce(f.interactions, 0)::bigint AS interactions
    FROM posts p FULL JOIN fans f ON f.platform = p.platform
    ORDER BY engagement DESC, platform
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

# Followers without a score row have never interacted: they count as inactive.
_TIERS = text(
    """
    SELECT coalesce(s.engagement_tier, 'inactive') AS tier, count(*)::bigint AS followers
    FROM followers f LEFT JOIN follower_engagement_scores s ON s.follower_id = f.id
    WHERE f.workspace_id = :ws AND (CAST(:platform AS text) IS NULL OR f.platform = :platform)
    GROUP BY 1
    """
)


def platform_totals(session: Session, workspace_id: uuid.UUID) -> Sequence[Row[Any]]:
    return session.execute(_PLATFORM_TOTALS, {"ws": workspace_id}).all()


def weekly_trend(session: Session, workspace_id: uuid.UUID, weeks: int) -> Sequence[Row[Any]]:
    return session.execute(_WEEKLY_TREND, {"ws": workspace_id, "weeks": weeks}).all()


def tier_counts(
    session: Session, workspace_id: uuid.UUID, platform: str | None
) -> Sequence[Row[Any]]:
    return session.execute(_TIERS, {"ws": workspace_id, "platform": platform}).all()
