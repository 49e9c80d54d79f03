from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from fanlens.content import repository
from fanlens.content.repository import ContentFilters, ContentShape
from fanlens.content.schemas import (
    ContentDetail,
    ContentSort,
    ContentSummary,
)
from fanlens.kit import listing
from fanlens.kit.errors import NotFound
from fanlens.kit.pagination import Order, Page
from fanlens.sentiment import service as sentiment
from fanlens.sentiment.schemas import ContentSentiment


def list_query(
    *,
    workspace_id: uuid.UUID,
    filters: ContentFilters,
    sort: ContentSort,
    order: Order,
    cursor: str | None,
) -> listing.ListQuery[ContentShape]:
    state, position = listing.cursor_params(cursor, sort, repository.SORTS[sort], order)
    shape = ContentShape.of(filters, sort=sort, order=order, cursor=state, paged=True)
    return listing.ListQuery(
        shape, repository.content_list_params(workspace_id, filters) | position
    )


def list_content(
    *, session: Session, query: listing.ListQuery[ContentShape], limit: int
) -> Page[ContentSummary]:
    rows = repository.CONTENT_LIST.page(session, query.shape, query.params, limit=limit + 1)
    items, next_cursor = listing.page_of_dicts(
        rows, limit=limit, sort=query.shape.sort, order=query.shape.order, item=ContentSummary
    )
    return Page[ContentSummary](items=items, next_cursor=next_cursor)


def export_content(
    *, engine: Engine, query: listing.ListQuery[ContentShape]
) -> Iterator[ContentSummary]:
    """Every matching item (a CSV export): the unpaged statement of the same shape."""
    unpaged = dataclasses.replace(query.shape, paged=False)
    rows = repository.CONTENT_LIST.stream(engine, unpaged, query.params)
    return listing.items_of(rows, ContentSummary)


TOP_COMMENTERS = 10


def get_detail(
    *,
    session: Session,
    workspace_id: uuid.UUID,
    content_id: uuid.UUID,
    mood: ContentSentiment | None = None,
) -> ContentDetail:
    """`mood`: the item's sentiment summary when the caller has read it already (the content
    page shows it), so the item's comments are counted once."""
    head = repository.detail_head(session, workspace_id=workspace_id, content_id=content_id)
    if head is None:
        raise NotFound(f"no content item {content_id} in this workspace")
    scope = {"workspace_id": workspace_id, "content_id": content_id}
    days = repository.interactions_per_day(session, **scope)
    return ContentDetail.model_validate(
        {
            **head,
            "best_platform_rule": repository.BEST_PLATFORM_RULE,
            "by_platform": _by_platform(repository.list_posts(session, **scope)),
            # The rollup's day NULL row holds the observed-time interactions: on no day.
            "interactions_per_day": [d for d in days if d["day"] is not None],
            "interactions_time_unknown": next((d for d in days if d["day"] is None), None),
            "top_commenters": repository.top_commenters(session, **scope, limit=TOP_COMMENTERS),
            "sentiment": (
                sentiment.label_counts_of(mood)
                if mood is not None
                else sentiment.label_counts(session=session, **scope)
            ),
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
