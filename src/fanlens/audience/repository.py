from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Integer,
    Row,
    Select,
    SQLColumnExpression,
    Text,
    Uuid,
    and_,
    bindparam,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from fanlens.audience.models import Follower
from fanlens.kit.sql import DriverStatement, escape_like
from fanlens.scoring.models import FollowerEngagementScore, ScoringConfig

PROFILE_FIELDS = (
    "username",
    "display_name",
    "profile_url",
    "avatar_url",
    "follower_count",
    "bio",
    "verified",
)


def upsert(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    platform: str,
    external_user_id: str,
    profile: dict[str, Any],
) -> uuid.UUID:
    """Insert the identity or refresh the profile fields given; returns the follower id."""
    values = {k: v for k, v in profile.items() if k in PROFILE_FIELDS and v is not None}
    stmt = insert(Follower).values(
        workspace_id=workspace_id, platform=platform, external_user_id=external_user_id, **values
    )
    upsert_stmt = stmt.on_conflict_do_update(
        index_elements=["workspace_id", "platform", "external_user_id"],
        set_={k: stmt.excluded[k] for k in values} or {"platform": stmt.excluded.platform},
    ).returning(Follower.id)
    return session.execute(upsert_stmt).scalar_one()


def get(session: Session, *, workspace_id: uuid.UUID, follower_id: uuid.UUID) -> Follower | None:
    return session.scalars(
        select(Follower).where(Follower.workspace_id == workspace_id, Follower.id == follower_id)
    ).one_or_none()


# --- read side: follower lists, leaderboard, detail (API) ------------------------------------


@dataclass(frozen=True)
class FollowerFilters:
    platform: str | None = None
    tier: str | None = None
    min_score: float | None = None
    q: str | None = None
    active_since: datetime | None = None


def follower_summary_select(
    workspace_id: uuid.UUID, filters: FollowerFilters, *, scored_only: bool = False
) -> tuple[Select[Any], dict[str, SQLColumnExpression[Any]]]:
    """Followers with their score fields (zero and inactive without a score row), filtered,
    and the expression of each sort. `scored_only` keeps followers with a score row and filters
    on the stored columns, which the score indexes serve and the planner can estimate."""
    f, s = Follower, FollowerEngagementScore
    score: SQLColumnExpression[Any] = func.coalesce(s.engagement_score, 0)
    tier: SQLColumnExpression[Any] = func.coalesce(s.engagement_tier, "inactive")
    if scored_only:
        score, tier = s.engagement_score, s.engagement_tier
    stmt: Select[*tuple[Any, ...]] = (
        select(
            f.id,
            f.platform,
            f.external_user_id,
            f.username,
            f.display_name,
            f.profile_url,
            f.follower_count,
            f.verified,
            f.first_seen_at,
            f.last_seen_at,
            func.coalesce(s.engagement_score, 0).label("engagement_score"),
            func.coalesce(s.engagement_tier, "inactive").label("engagement_tier"),
            func.coalesce(s.comment_count, 0).label("comment_count"),
            func.coalesce(s.like_count, 0).label("like_count"),
            func.coalesce(s.share_count, 0).label("share_count"),
            func.coalesce(s.interaction_count, 0).label("interaction_count"),
        )
        .outerjoin(s, s.follower_id == f.id)
        .where(f.workspace_id == workspace_id)
    )
    if scored_only:
        stmt = stmt.where(s.workspace_id == workspace_id)
    if filters.platform:
        stmt = stmt.where(f.platform == filters.platform.lower())
    if filters.tier:
        stmt = stmt.where(tier == filters.tier)
    if filters.min_score is not None:
        stmt = stmt.where(score >= filters.min_score)
    if filters.q:
        needle = filters.q.lstrip("@").lower()
        stmt = stmt.where(func.lower(f.username).like(f"%{escape_like(needle)}%", escape="\\"))
    if filters.active_since is not None:
        stmt = stmt.where(f.last_seen_at >= filters.active_since)
    sorts: dict[str, SQLColumnExpression[Any]] = {
        "engagement_score": score,
        "last_seen_at": f.last_seen_at,
        "comment_count": func.coalesce(s.comment_count, 0),
        "interaction_count": func.coalesce(s.interaction_count, 0),
        "username": func.lower(f.username),
    }
    return stmt, sorts


def leaderboard_select(*, on_platform: bool) -> Select[Any]:
    """Top followers by score, driven by the (workspace_id, engagement_score) index. Parameters:
    `workspace_id`, `limit` and, with `on_platform`, `platform` (lower case)."""
    f, s = Follower, FollowerEngagementScore
    stmt = (
        select(
            func.row_number()
            .over(order_by=(s.engagement_score.desc(), s.follower_id))
            .label("rank"),
            s.follower_id,
            f.username,
            f.display_name,
            f.platform,
            s.engagement_score,
            s.engagement_tier,
            s.comment_count,
            s.like_count,
            s.share_count,
            s.interaction_count,
            s.last_interaction_at,
        )
        .join(f, f.id == s.follower_id)
        .where(s.workspace_id == bindparam("workspace_id", type_=Uuid))
        .order_by(s.engagement_score.desc(), s.follower_id)
        .limit(bindparam("limit", type_=Integer))
    )
    if on_platform:
        stmt = stmt.where(f.platform == bindparam("platform", type_=Text))
    return stmt


# Two statements rather than "platform IS NULL OR …": each keeps a plan that fits it.
_LEADERBOARD = {p: DriverStatement(leaderboard_select(on_platform=p)) for p in (False, True)}


def leaderboard_params(workspace_id: uuid.UUID, platform: str | None, limit: int) -> dict[str, Any]:
    params: dict[str, Any] = {"workspace_id": workspace_id, "limit": limit}
    if platform:
        params["platform"] = platform.lower()
    return params


def leaderboard_rows(
    session: Session, workspace_id: uuid.UUID, platform: str | None, limit: int
) -> list[dict[str, Any]]:
    return _LEADERBOARD[bool(platform)].rows(
        session, **leaderboard_params(workspace_id, platform, limit)
    )


def get_score(
    session: Session, *, workspace_id: uuid.UUID, follower_id: uuid.UUID
) -> FollowerEngagementScore | None:
    return session.scalars(
        select(FollowerEngagementScore).where(
            FollowerEngagementScore.workspace_id == workspace_id,
            FollowerEngagementScore.follower_id == follower_id,
        )
    ).one_or_none()


def get_with_score_and_config(
    session: Session, *, workspace_id: uuid.UUID, follower_id: uuid.UUID
) -> Row[Follower, FollowerEngagementScore, ScoringConfig] | None:
    """The follower, their stored score and the workspace's current scoring config, in one
    round trip (the head of the follower detail)."""
    current_version = (
        select(func.max(ScoringConfig.version))
        .where(ScoringConfig.workspace_id == workspace_id)
        .scalar_subquery()
    )
    stmt = (
        select(Follower, FollowerEngagementScore, ScoringConfig)
        .outerjoin(FollowerEngagementScore, FollowerEngagementScore.follower_id == Follower.id)
        .outerjoin(
            ScoringConfig,
            and_(
                ScoringConfig.workspace_id == Follower.workspace_id,
                ScoringConfig.version == current_version,
            ),
        )
        .where(Follower.workspace_id == workspace_id, Follower.id == follower_id)
    )
    return session.execute(stmt).one_or_none()
