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
# Read from the daily rollup the triggers keep (interaction_daily_counts), not the log.
_WEEKLY_TREND = text(
    """
    WITH bounds AS (
        SELECT date_trunc('week', max(day))::date - 7 * (:weeks - 1) AS first_week
        FROM interaction_daily_counts WHERE workspace_id = :ws)
    SELECT date_trunc('week', d.day)::date AS week, d.platform,
           sum(d.interaction_count)::bigint AS interactions
    FROM interaction_daily_counts d, bounds b
    WHERE d.workspace_id = :ws AND d.day >= b.first_week
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
