from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import Select, column, select, table

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
