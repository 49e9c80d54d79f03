from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    Integer,
    Numeric,
    Select,
    SQLColumnExpression,
    Text,
    Uuid,
    cast,
    exists,
    func,
    select,
)
from sqlalchemy.orm import Session

from fanlens.audience.models import Follower
from fanlens.content.models import ContentEngagementTotals, ContentItem, ContentPost, ContentTag
from fanlens.interactions.models import FollowerInteraction, InteractionDailyCount
from fanlens.kit import listing
from fanlens.kit.listing import CursorState
from fanlens.kit.pagination import Order
from fanlens.kit.sql import DriverStatement, ShapedStatement, escape_like, param

# --- read side: the content list and detail (API) --------------------------------------------

# Engagement = likes + comments + shares + saves as the platform reports them (the views' rule).
BEST_PLATFORM_RULE = (
    "v1: the platform with the most engagement (likes + comments + shares + saves as the "
    "platform reports them); ties go to the platform with more views, then by platform name"
)


def _engagement(posts: Any) -> SQLColumnExpression[Any]:
    return (
        func.coalesce(func.sum(posts.likes), 0)
        + func.coalesce(func.sum(posts.comments), 0)
        + func.coalesce(func.sum(posts.shares), 0)
        + func.coalesce(func.sum(posts.saves), 0)
    )


def _rate(
    engagement: SQLColumnExpression[Any], views: SQLColumnExpression[Any]
) -> SQLColumnExpression[Any]:
    return func.round(cast(engagement, Numeric) / func.nullif(views, 0), 6)


def platform_rollup(workspace_id: uuid.UUID, content_id: uuid.UUID | None = None) -> Select[Any]:
    """Per content item and platform: post count, summed metrics, engagement and its rate."""
    p = ContentPost
    engagement = cast(_engagement(p), BigInteger)
    views = cast(func.sum(p.views), BigInteger)
    stmt: Select[*tuple[Any, ...]] = (
        select(
            p.content_id,
            p.platform,
            func.count().label("post_count"),
            func.min(p.posted_at).label("first_posted_at"),
            views.label("views"),
            cast(func.sum(p.likes), BigInteger).label("likes"),
            cast(func.sum(p.comments), BigInteger).label("comments"),
            cast(func.sum(p.shares), BigInteger).label("shares"),
            cast(func.sum(p.saves), BigInteger).label("saves"),
            engagement.label("engagement"),
            _rate(engagement, views).label("engagement_rate"),
        )
        .where(p.workspace_id == workspace_id)
        .group_by(p.content_id, p.platform)
    )
    if content_id is not None:
        stmt = stmt.where(p.content_id == content_id)
    return stmt


# The statements' workspace and content item, as parameters.
_WS, _CONTENT = param("workspace_id", Uuid), param("content_id", Uuid)


@dataclass(frozen=True)
class ContentFilters:
    platform: str | None = None
    tag: str | None = None
    posted_from: datetime | None = None
    posted_to: datetime | None = None
    q: str | None = None


@dataclass(frozen=True)
class ContentShape:
    """Which filters a content list has, its sort and where it starts; the values are
    parameters (`content_list_params`), so each shape is compiled once."""

    platform: bool
    tag: bool
    posted_from: bool
    posted_to: bool
    q: bool
    sort: str
    order: Order
    cursor: CursorState
    paged: bool  # a LIMIT (pages) or every row (CSV exports)

    @classmethod
    def of(
        cls, filters: ContentFilters, *, sort: str, order: Order, cursor: CursorState, paged: bool
    ) -> ContentShape:
        return cls(
            platform=bool(filters.platform),
            tag=bool(filters.tag),
            posted_from=filters.posted_from is not None,
            posted_to=filters.posted_to is not None,
            q=bool(filters.q),
            sort=sort,
            order=order,
            cursor=cursor,
            paged=paged,
        )


def content_list_params(workspace_id: uuid.UUID, filters: ContentFilters) -> dict[str, Any]:
    values = {
        "workspace_id": workspace_id,
        "platform": filters.platform.lower() if filters.platform else None,
        "tag": filters.tag.lower() if filters.tag else None,
        "posted_from": filters.posted_from,
        "posted_to": filters.posted_to,
        "q": f"%{escape_like(filters.q)}%" if filters.q else None,
    }
    return {k: v for k, v in values.items() if v is not None}


def content_summary_select(
    workspace_id: uuid.UUID,
    shape: ContentShape | None = None,
    content_id: uuid.UUID | None = None,
) -> tuple[Select[Any], dict[str, SQLColumnExpression[Any]]]:
    """Content items with cross-platform totals; also returns the sortable expressions.

    Reads the totals the triggers keep (content_engagement_totals, one row per item), so the
    default sort walks the (workspace_id, total_engagement, content_id) index and stops at the
    page's end instead of aggregating every post of the workspace.
    """
    ci, t = ContentItem, ContentEngagementTotals
    stmt: Select[*tuple[Any, ...]] = (
        select(
            t.content_id.label("id"),
            ci.slug,
            ci.title,
            ci.description,
            t.platform_count,
            t.platforms,
            t.first_posted_at,
            t.total_views,
            t.total_likes,
            t.total_comments,
            t.total_shares,
            t.total_saves,
            t.total_engagement,
            t.engagement_rate,
            t.best_platform,
        )
        .join(ci, (ci.id == t.content_id) & (ci.workspace_id == t.workspace_id))
        .where(t.workspace_id == workspace_id)
    )
    if content_id is not None:
        stmt = stmt.where(t.content_id == content_id)
    if shape is not None:
        stmt = _filter_content(stmt, shape)
    sorts: dict[str, SQLColumnExpression[Any]] = {
        "total_engagement": t.total_engagement,
        "total_comments": func.coalesce(t.total_comments, 0),
        "engagement_rate": t.engagement_rate,
        "posted_at": t.first_posted_at,
    }
    return stmt, sorts


def _filter_content(stmt: Select[Any], shape: ContentShape) -> Select[Any]:
    ci, t = ContentItem, ContentEngagementTotals
    if shape.platform:
        stmt = stmt.where(
            exists().where(
                ContentPost.workspace_id == ci.workspace_id,
                ContentPost.content_id == ci.id,
                ContentPost.platform == param("platform", Text),
            )
        )
    if shape.tag:
        stmt = stmt.where(
            exists().where(
                ContentTag.workspace_id == ci.workspace_id,
                ContentTag.content_id == ci.id,
                func.lower(ContentTag.tag_value) == param("tag", Text),
            )
        )
    if shape.posted_from:
        stmt = stmt.where(t.first_posted_at >= param("posted_from", DateTime(timezone=True)))
    if shape.posted_to:
        stmt = stmt.where(t.first_posted_at < param("posted_to", DateTime(timezone=True)))
    if shape.q:
        stmt = stmt.where(ci.title.ilike(param("q", Text), escape="\\"))
    return stmt


SORTS = {
    "total_engagement": listing.Sort("number", Numeric, nullable=False),  # coalesced in SQL
    "total_comments": listing.Sort("number", Numeric, nullable=False),
    "engagement_rate": listing.Sort("number", Numeric),
    "posted_at": listing.Sort("time", DateTime(timezone=True)),
}


def _content_list(shape: ContentShape) -> Select[Any]:
    stmt, sort_exprs = content_summary_select(_WS, shape)
    return listing.keyset_statement(
        stmt,
        shape,
        sort_expr=sort_exprs[shape.sort],
        id_expr=ContentEngagementTotals.content_id,
        sort=SORTS[shape.sort],
    )


CONTENT_LIST = ShapedStatement(_content_list, cache=512)


# --- the content detail: fixed statements, compiled once (see kit.sql.DriverStatement) -------

_HEAD = DriverStatement(content_summary_select(_WS, content_id=_CONTENT)[0])


def detail_head(
    session: Session, *, workspace_id: uuid.UUID, content_id: uuid.UUID
) -> dict[str, Any] | None:
    """The item's summary row (with its description), or None outside this workspace."""
    rows = _HEAD.rows(session, workspace_id=workspace_id, content_id=content_id)
    return rows[0] if rows else None


def _posts_select() -> Select[Any]:
    """The item's posts, each row also carrying its platform's rollup (`platform_*` columns),
    so the detail's per-platform section is one round trip."""
    p = ContentPost
    r = platform_rollup(_WS, _CONTENT).subquery("r")
    engagement = (
        func.coalesce(p.likes, 0)
        + func.coalesce(p.comments, 0)
        + func.coalesce(p.shares, 0)
        + func.coalesce(p.saves, 0)
    )
    rollup = [
        r.c[name].label(f"platform_{name}")
        for name in ("post_count", "views", "likes", "comments", "shares", "saves")
    ]
    stmt: Select[*tuple[Any, ...]] = (
        select(
            p.id,
            p.platform,
            p.external_post_id,
            p.url,
            p.posted_at,
            p.views,
            p.likes,
            p.comments,
            p.shares,
            p.saves,
            engagement.label("engagement"),
            _rate(engagement, p.views).label("engagement_rate"),
            p.is_placeholder,
            *rollup,
            r.c.engagement.label("platform_engagement"),
            r.c.engagement_rate.label("platform_engagement_rate"),
        )
        .join(r, r.c.platform == p.platform)
        .where(p.workspace_id == _WS, p.content_id == _CONTENT)
        .order_by(p.platform, p.posted_at.asc().nulls_last(), p.id)
    )
    return stmt


_POSTS = DriverStatement(_posts_select())


def list_posts(
    session: Session, *, workspace_id: uuid.UUID, content_id: uuid.UUID
) -> list[dict[str, Any]]:
    return _POSTS.rows(session, workspace_id=workspace_id, content_id=content_id)


def _per_day_select() -> Select[Any]:
    """Per UTC day: the number of interactions and the count by type (from the daily rollup
    the triggers keep, so a busy item costs its days, not its interactions). Day None: the
    observed-time interactions, whose day is unknown (sorted last)."""
    d = InteractionDailyCount
    per_type = (
        select(d.day, d.interaction_type, func.sum(d.interaction_count).label("n"))
        .where(d.workspace_id == _WS, d.content_id == _CONTENT)
        .group_by(d.day, d.interaction_type)
        .subquery()
    )
    return (
        select(
            per_type.c.day,
            cast(func.sum(per_type.c.n), BigInteger).label("total"),
            func.jsonb_object_agg(per_type.c.interaction_type, per_type.c.n).label("by_type"),
        )
        .group_by(per_type.c.day)
        .order_by(per_type.c.day.asc().nulls_last())
    )


_PER_DAY = DriverStatement(_per_day_select())


def interactions_per_day(
    session: Session, *, workspace_id: uuid.UUID, content_id: uuid.UUID
) -> list[dict[str, Any]]:
    return _PER_DAY.rows(session, workspace_id=workspace_id, content_id=content_id)


def _top_commenters_select() -> Select[Any]:
    """Counted from the partial comments index alone (content_id, workspace_id, follower_id,
    occurred_at), then joined to the followers it keeps, both within the workspace."""
    fi, f = FollowerInteraction, Follower
    counted = (
        select(
            fi.follower_id,
            func.count().label("comment_count"),
            func.max(fi.occurred_at).label("last_comment_at"),
        )
        .where(fi.workspace_id == _WS, fi.content_id == _CONTENT, fi.interaction_type == "comment")
        .group_by(fi.follower_id)
        .order_by(func.count().desc(), fi.follower_id)
        .limit(param("limit", Integer))
        .subquery("c")
    )
    return (
        select(
            f.id.label("follower_id"),
            f.username,
            f.platform,
            counted.c.comment_count,
            counted.c.last_comment_at,
        )
        .join(counted, counted.c.follower_id == f.id)
        .where(f.workspace_id == _WS)
        .order_by(counted.c.comment_count.desc(), f.id)
    )


_TOP_COMMENTERS = DriverStatement(_top_commenters_select())


def top_commenters(
    session: Session, *, workspace_id: uuid.UUID, content_id: uuid.UUID, limit: int
) -> list[dict[str, Any]]:
    return _TOP_COMMENTERS.rows(
        session, workspace_id=workspace_id, content_id=content_id, limit=limit
    )


def content_exists(session: Session, workspace_id: uuid.UUID, content_id: uuid.UUID) -> bool:
    stmt = select(ContentItem.id).where(
        ContentItem.workspace_id == workspace_id, ContentItem.id == content_id
    )
    return session.execute(stmt).first() is not None
