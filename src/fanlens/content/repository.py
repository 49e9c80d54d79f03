from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Numeric,
    Select,
    SQLColumnExpression,
    cast,
    exists,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from fanlens.audience.models import Follower
from fanlens.content.models import ContentEngagementTotals, ContentItem, ContentPost, ContentTag
from fanlens.interactions.models import FollowerInteraction, InteractionDailyCount
from fanlens.kit.sql import escape_like


def placeholder_slug(platform: str, external_post_id: str) -> str:
    """The slug of the content item a post gets when the data names no content key."""
    return f"{platform}:{external_post_id}"


def get_post(
    session: Session, *, workspace_id: uuid.UUID, platform: str, external_post_id: str
) -> ContentPost | None:
    return session.scalars(
        select(ContentPost).where(
            ContentPost.workspace_id == workspace_id,
            ContentPost.platform == platform,
            ContentPost.external_post_id == external_post_id,
        )
    ).one_or_none()


def upsert_content_item(
    session: Session, *, workspace_id: uuid.UUID, slug: str, title: str | None
) -> uuid.UUID:
    stmt = insert(ContentItem).values(workspace_id=workspace_id, slug=slug, title=title)
    upsert_stmt = stmt.on_conflict_do_update(
        index_elements=["workspace_id", "slug"],
        set_={"slug": stmt.excluded.slug},  # a no-op update, so RETURNING gives the id
    ).returning(ContentItem.id)
    return session.execute(upsert_stmt).scalar_one()


def get_or_create_placeholder_post(
    session: Session, *, workspace_id: uuid.UUID, platform: str, external_post_id: str
) -> ContentPost:
    """The post an interaction points at, created as a placeholder when not yet known."""
    post = get_post(
        session, workspace_id=workspace_id, platform=platform, external_post_id=external_post_id
    )
    if post is not None:
        return post
    content_id = upsert_content_item(
        session,
        workspace_id=workspace_id,
        slug=placeholder_slug(platform, external_post_id),
        title=None,
    )
    stmt = (
        insert(ContentPost)
        .values(
            workspace_id=workspace_id,
            content_id=content_id,
            platform=platform,
            external_post_id=external_post_id,
            is_placeholder=True,
        )
        .on_conflict_do_nothing()
    )
    session.execute(stmt)
    post = get_post(
        session, workspace_id=workspace_id, platform=platform, external_post_id=external_post_id
    )
    assert post is not None
    return post


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


@dataclass(frozen=True)
class ContentFilters:
    platform: str | None = None
    tag: str | None = None
    posted_from: datetime | None = None
    posted_to: datetime | None = None
    q: str | None = None


def content_summary_select(
    workspace_id: uuid.UUID,
    filters: ContentFilters | None = None,
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
        .join(ci, ci.id == t.content_id)
        .where(t.workspace_id == workspace_id)
    )
    if content_id is not None:
        stmt = stmt.where(t.content_id == content_id)
    if filters is not None:
        stmt = _filter_content(stmt, workspace_id, filters)
    sorts: dict[str, SQLColumnExpression[Any]] = {
        "total_engagement": t.total_engagement,
        "total_comments": func.coalesce(t.total_comments, 0),
        "engagement_rate": t.engagement_rate,
        "posted_at": t.first_posted_at,
    }
    return stmt, sorts


def _filter_content(
    stmt: Select[Any], workspace_id: uuid.UUID, filters: ContentFilters
) -> Select[Any]:
    ci, t = ContentItem, ContentEngagementTotals
    if filters.platform:
        stmt = stmt.where(
            exists().where(
                ContentPost.workspace_id == workspace_id,
                ContentPost.content_id == ci.id,
                ContentPost.platform == filters.platform.lower(),
            )
        )
    if filters.tag:
        stmt = stmt.where(
            exists().where(
                ContentTag.workspace_id == workspace_id,
                ContentTag.content_id == ci.id,
                func.lower(ContentTag.tag_value) == filters.tag.lower(),
            )
        )
    if filters.posted_from is not None:
        stmt = stmt.where(t.first_posted_at >= filters.posted_from)
    if filters.posted_to is not None:
        stmt = stmt.where(t.first_posted_at < filters.posted_to)
    if filters.q:
        stmt = stmt.where(ci.title.ilike(f"%{escape_like(filters.q)}%", escape="\\"))
    return stmt


def list_posts(session: Session, *, workspace_id: uuid.UUID, content_id: uuid.UUID) -> list[Any]:
    """The item's posts, each row also carrying its platform's rollup (`platform_*` columns),
    so the detail's per-platform section is one round trip."""
    p = ContentPost
    r = platform_rollup(workspace_id, content_id).subquery("r")
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
    stmt = (
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
        .where(p.workspace_id == workspace_id, p.content_id == content_id)
        .order_by(p.platform, p.posted_at.asc().nulls_last(), p.id)
    )
    return list(session.execute(stmt).all())


def interactions_per_day(
    session: Session, *, workspace_id: uuid.UUID, content_id: uuid.UUID
) -> list[Any]:
    """Per UTC day: the number of interactions and the count by type (from the daily rollup
    the triggers keep, so a busy item costs its days, not its interactions)."""
    d = InteractionDailyCount
    per_type = (
        select(d.day, d.interaction_type, func.sum(d.interaction_count).label("n"))
        .where(d.workspace_id == workspace_id, d.content_id == content_id)
        .group_by(d.day, d.interaction_type)
        .subquery()
    )
    stmt = (
        select(
            per_type.c.day,
            cast(func.sum(per_type.c.n), BigInteger).label("total"),
            func.jsonb_object_agg(per_type.c.interaction_type, per_type.c.n).label("by_type"),
        )
        .group_by(per_type.c.day)
        .order_by(per_type.c.day)
    )
    return list(session.execute(stmt).all())


def top_commenters(
    session: Session, *, workspace_id: uuid.UUID, content_id: uuid.UUID, limit: int
) -> list[Any]:
    fi, f = FollowerInteraction, Follower
    comments = func.count().label("comment_count")
    stmt = (
        select(
            f.id.label("follower_id"),
            f.username,
            f.platform,
            comments,
            func.max(fi.occurred_at).label("last_comment_at"),
        )
        .join(f, f.id == fi.follower_id)
        .where(
            fi.workspace_id == workspace_id,
            fi.content_id == content_id,
            fi.interaction_type == "comment",
        )
        .group_by(f.id)
        .order_by(comments.desc(), f.id)
        .limit(limit)
    )
    return list(session.execute(stmt).all())
