from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import (
    DateTime,
    Engine,
    Integer,
    Numeric,
    Row,
    Select,
    SQLColumnExpression,
    Text,
    Uuid,
    and_,
    func,
    literal_column,
    select,
)
from sqlalchemy.orm import Session

from fanlens.audience.models import Follower
from fanlens.interactions.models import FollowerInteraction
from fanlens.kit import listing
from fanlens.kit.listing import CursorState
from fanlens.kit.pagination import Order
from fanlens.kit.sql import DriverStatement, ShapedStatement, handle_contains, param
from fanlens.scoring.models import FollowerEngagementScore, ScoringConfig


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


@dataclass(frozen=True)
class FollowerShape:
    """Which filters a follower list has, its sort, where it starts and which part of the score
    order it reads; the values are parameters (`follower_list_params`), so each shape is
    compiled once. `part`: "positive" reads stored positive scores off the score index, "rest"
    the followers scoring zero or without a score row, "all" both (other sorts, exports)."""

    platform: bool
    tier: bool
    min_score: bool
    q: bool
    active_since: bool
    sort: str
    order: Order
    cursor: CursorState
    part: Literal["all", "positive", "rest"]
    paged: bool

    @classmethod
    def of(
        cls,
        filters: FollowerFilters,
        *,
        sort: str,
        order: Order,
        cursor: CursorState,
        part: Literal["all", "positive", "rest"],
        paged: bool,
    ) -> FollowerShape:
        return cls(
            platform=bool(filters.platform),
            tier=bool(filters.tier),
            min_score=filters.min_score is not None,
            q=bool(filters.q),
            active_since=filters.active_since is not None,
            sort=sort,
            order=order,
            cursor=cursor,
            part=part,
            paged=paged,
        )


def follower_list_params(workspace_id: uuid.UUID, filters: FollowerFilters) -> dict[str, Any]:
    values = {
        "workspace_id": workspace_id,
        "platform": filters.platform.lower() if filters.platform else None,
        "tier": filters.tier or None,
        "min_score": filters.min_score,
        "q": handle_contains(filters.q) if filters.q else None,
        "active_since": filters.active_since,
    }
    return {k: v for k, v in values.items() if v is not None}


_WS = param("workspace_id", Uuid)


def follower_summary_select(
    shape: FollowerShape,
) -> tuple[Select[Any], dict[str, SQLColumnExpression[Any]]]:
    """Followers with their score fields (zero and inactive without a score row), filtered,
    and the expression of each sort. The "positive" part keeps followers with a score row and
    filters on the stored columns, which the score indexes serve and the planner can estimate."""
    f, s = Follower, FollowerEngagementScore
    score: SQLColumnExpression[Any] = func.coalesce(s.engagement_score, 0)
    tier: SQLColumnExpression[Any] = func.coalesce(s.engagement_tier, "inactive")
    scored_only = shape.part == "positive"
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
        .outerjoin(s, (s.follower_id == f.id) & (s.workspace_id == f.workspace_id))
        .where(f.workspace_id == _WS)
    )
    if scored_only:
        stmt = stmt.where(s.workspace_id == _WS, score > 0)
    elif shape.part == "rest":
        stmt = stmt.where(score <= 0)
    if shape.platform:
        stmt = stmt.where(f.platform == param("platform", Text))
    if shape.tier:
        stmt = stmt.where(tier == param("tier", Text))
    if shape.min_score:
        stmt = stmt.where(score >= param("min_score", Numeric))
    if shape.q:
        stmt = stmt.where(func.lower(f.username).like(param("q", Text), escape="\\"))
    if shape.active_since:
        stmt = stmt.where(f.last_seen_at >= param("active_since", DateTime(timezone=True)))
    sorts: dict[str, SQLColumnExpression[Any]] = {
        "engagement_score": score,
        "last_seen_at": f.last_seen_at,
        "comment_count": func.coalesce(s.comment_count, 0),
        "interaction_count": func.coalesce(s.interaction_count, 0),
        "username": func.lower(f.username),
    }
    return stmt, sorts


SORTS = {
    "engagement_score": listing.Sort("number", Numeric, nullable=False),  # coalesced in SQL
    "last_seen_at": listing.Sort("time", DateTime(timezone=True)),
    "comment_count": listing.Sort("number", Numeric, nullable=False),
    "interaction_count": listing.Sort("number", Numeric, nullable=False),
    "username": listing.Sort("text", Text),
}


def _follower_list(shape: FollowerShape) -> Select[Any]:
    stmt, sort_exprs = follower_summary_select(shape)
    return listing.keyset_statement(
        stmt, shape, sort_expr=sort_exprs[shape.sort], id_expr=Follower.id, sort=SORTS[shape.sort]
    )


FOLLOWER_LIST = ShapedStatement(_follower_list, cache=1024)


def leaderboard_select(*, on_platform: bool, on_username: bool) -> Select[Any]:
    """Top followers by score, driven by the (workspace_id, engagement_score) index. Parameters:
    `workspace_id`, `limit`, with `on_platform` `platform` (lower case) and with `on_username`
    `q` (a pattern of `handle_contains`)."""
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
            # The follower's last exact-time interaction: the score's own last time also
            # counts observed ones, which carry the time a sync saw them.
            f.last_seen_at.label("last_interaction_at"),
        )
        .join(f, (f.id == s.follower_id) & (f.workspace_id == s.workspace_id))
        .where(s.workspace_id == _WS)
        .order_by(s.engagement_score.desc(), s.follower_id)
        .limit(param("limit", Integer))
    )
    if on_platform:
        stmt = stmt.where(f.platform == param("platform", Text))
    if on_username:
        stmt = stmt.where(func.lower(f.username).like(param("q", Text), escape="\\"))
    return stmt


# One statement per filter set rather than "platform IS NULL OR …": each keeps a plan that fits.
_LEADERBOARD = {
    (p, u): DriverStatement(leaderboard_select(on_platform=p, on_username=u))
    for p in (False, True)
    for u in (False, True)
}


def leaderboard_params(
    workspace_id: uuid.UUID, platform: str | None, limit: int, q: str | None
) -> dict[str, Any]:
    params: dict[str, Any] = {"workspace_id": workspace_id, "limit": limit}
    if platform:
        params["platform"] = platform.lower()
    if q:
        params["q"] = handle_contains(q)
    return params


def stream_leaderboard(
    engine: Engine, workspace_id: uuid.UUID, platform: str | None, limit: int, q: str | None
) -> Iterator[Row[Any]]:
    """The leaderboard's rows on a connection of their own (a CSV export)."""
    statement = _LEADERBOARD[bool(platform), bool(q)]
    return statement.stream(engine, **leaderboard_params(workspace_id, platform, limit, q))


def leaderboard_rows(
    session: Session, workspace_id: uuid.UUID, platform: str | None, limit: int, q: str | None
) -> list[dict[str, Any]]:
    return _LEADERBOARD[bool(platform), bool(q)].rows(
        session, **leaderboard_params(workspace_id, platform, limit, q)
    )


# The head of the follower detail: the follower, their stored score and the workspace's current
# scoring config in one round trip, each table's columns prefixed so one row splits into three.
_DETAIL_PARTS = {
    "f_": Follower.__table__,
    "s_": FollowerEngagementScore.__table__,
    "c_": ScoringConfig.__table__,
}
_DETAIL_HEAD = DriverStatement(
    select(*(c.label(prefix + c.key) for prefix, t in _DETAIL_PARTS.items() for c in t.c))
    .select_from(Follower)
    .outerjoin(
        FollowerEngagementScore,
        (FollowerEngagementScore.follower_id == Follower.id)
        & (FollowerEngagementScore.workspace_id == Follower.workspace_id),
    )
    .outerjoin(
        ScoringConfig,
        and_(
            ScoringConfig.workspace_id == Follower.workspace_id,
            ScoringConfig.version
            == select(func.max(ScoringConfig.version))
            .where(ScoringConfig.workspace_id == param("workspace_id", Uuid))
            .scalar_subquery(),
        ),
    )
    .where(
        Follower.workspace_id == param("workspace_id", Uuid),
        Follower.id == param("follower_id", Uuid),
    )
)


def seen_by(session: Session, *, follower_id: uuid.UUID) -> datetime | None:
    """When fanlens last saw one of the follower's observed-time interactions (they acted on
    or before it): the newest entry of the partial index of observed-time interactions by
    follower (ix_follower_interactions_observed_follower_id), not the follower's whole history.
    'observed' is written as a literal: a prepared statement's generic plan cannot match a
    bound value to the index's predicate and would read the whole history again."""
    fi = FollowerInteraction
    return session.scalar(
        select(func.max(fi.occurred_at)).where(
            fi.follower_id == follower_id, fi.time_precision == literal_column("'observed'")
        )
    )


@dataclass(frozen=True)
class DetailHead:
    follower: dict[str, Any]
    score: dict[str, Any] | None  # None: never scored
    config: dict[str, Any] | None


def detail_head(
    session: Session, *, workspace_id: uuid.UUID, follower_id: uuid.UUID
) -> DetailHead | None:
    """The follower (None if not in this workspace), their stored score and the current
    scoring config, each as its table's columns."""
    rows = _DETAIL_HEAD.rows(session, workspace_id=workspace_id, follower_id=follower_id)
    if not rows:
        return None
    parts = {
        prefix: {key[len(prefix) :]: v for key, v in rows[0].items() if key.startswith(prefix)}
        for prefix in _DETAIL_PARTS
    }
    score, config = parts["s_"], parts["c_"]
    return DetailHead(
        follower=parts["f_"],
        score=score if score["follower_id"] is not None else None,
        config=config if config["id"] is not None else None,
    )
