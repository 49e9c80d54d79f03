from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, Row, Select
from sqlalchemy.orm import Session

from fanlens.api.schemas import Page
from fanlens.content import repository
from fanlens.content.models import ContentEngagementTotals
from fanlens.content.repository import ContentFilters
from fanlens.content.schemas import (
    ContentDetail,
    ContentSort,
    ContentSummary,
)
from fanlens.kit import listing
from fanlens.kit.errors import NotFound
from fanlens.kit.pagination import Order, SortKind
from fanlens.sentiment import service as sentiment

NOT_NULL_SORTS = ("total_engagement", "total_comments")  # coalesced in SQL
SORT_KINDS: dict[str, SortKind] = {
    "total_engagement": "number",
    "total_comments": "number",
    "engagement_rate": "number",
    "posted_at": "time",
}
TOP_COMMENTERS = 10


def _summary(row: Row[Any]) -> ContentSummary:
    return ContentSummary.model_validate(row._asdict())


def list_select(
    *,
    workspace_id: uuid.UUID,
    filters: ContentFilters,
    sort: ContentSort,
    order: Order,
    cursor: str | None,
) -> Select[Any]:
    stmt, sorts = repository.content_summary_select(workspace_id, filters)
    return listing.keyset_select(
        stmt,
        sort_expr=sorts[sort],
        id_expr=ContentEngagementTotals.content_id,
        sort=sort,
        kind=SORT_KINDS[sort],
        order=order,
        cursor=cursor,
        nullable=sort not in NOT_NULL_SORTS,
    )


def list_content(
    *, session: Session, stmt: Select[Any], sort: ContentSort, order: Order, limit: int
) -> Page[ContentSummary]:
    items, next_cursor = listing.page(
        session, stmt, limit=limit, sort=sort, order=order, to_item=_summary
    )
    return Page[ContentSummary](items=items, next_cursor=next_cursor)


def export_content(*, engine: Engine, stmt: Select[Any]) -> Iterator[ContentSummary]:
    return listing.stream(engine, stmt, to_item=_summary)


def get_detail(
    *, session: Session, workspace_id: uuid.UUID, content_id: uuid.UUID
) -> ContentDetail:
    head = repository.detail_head(session, workspace_id=workspace_id, content_id=content_id)
    if head is None:
        raise NotFound(f"no content item {content_id} in this workspace")
    scope = {"workspace_id": workspace_id, "content_id": content_id}
    return ContentDetail.model_validate(
        {
            **head,
            "best_platform_rule": repository.BEST_PLATFORM_RULE,
            "by_platform": _by_platform(repository.list_posts(session, **scope)),
            "interactions_per_day": repository.interactions_per_day(session, **scope),
            "top_commenters": repository.top_commenters(session, **scope, limit=TOP_COMMENTERS),
            "sentiment": sentiment.label_counts(session=session, **scope),
        }
    )


PLATFORM_FIELDS = ("post_count", "views", "likes", "comments", "shares", "saves", "engagement")


def _by_platform(posts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Posts grouped under their platform's rollup (rows come ordered by platform)."""
    platforms: dict[str, dict[str, Any]] = {}
    for post in posts:
        if post["platform"] not in platforms:
            platforms[post["platform"]] = {
                "platform": post["platform"],
                "engagement_rate": post["platform_engagement_rate"],
                "posts": [],
                **{name: post[f"platform_{name}"] for name in PLATFORM_FIELDS},
            }
        platforms[post["platform"]]["posts"].append(post)
    return list(platforms.values())
