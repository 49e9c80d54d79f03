"""Reading the interaction log: "what did @creator_amy comment on last week?"."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from fanlens.interactions import repository
from fanlens.interactions.repository import ActivityFilters, ActivityShape
from fanlens.interactions.schemas import ActivityItem
from fanlens.kit import listing
from fanlens.kit.errors import NotFound
from fanlens.kit.pagination import Order, Page

SORT = "occurred_at"


ActivityQuery = listing.ListQuery[ActivityShape]  # an activity question ready to run


def query(
    *,
    session: Session,
    workspace_id: uuid.UUID,
    filters: ActivityFilters,
    order: Order,
    cursor: str | None,
) -> ActivityQuery:
    follower_ids = (
        list(filters.follower_ids)
        if filters.follower_ids is not None
        else _followers_named(session, workspace_id, filters.username)
    )
    params = repository.activity_params(workspace_id, filters, follower_ids)
    state, position = listing.cursor_params(cursor, SORT, repository.OCCURRED_AT, order)
    shape = ActivityShape.of(filters, follower_ids, order=order, cursor=state, paged=True)
    return ActivityQuery(shape=shape, params={**params, **position})


def _followers_named(
    session: Session, workspace_id: uuid.UUID, username: str | None
) -> list[uuid.UUID] | None:
    """The followers holding `username` (None: no username asked). A username nobody in the
    workspace holds is a mistyped question, not an empty answer, so it is not found."""
    if not username:
        return None
    found = repository.follower_ids_by_username(
        session, workspace_id=workspace_id, username=username
    )
    if not found:
        raise NotFound(f"no follower with the username {username!r} in this workspace")
    return found


def page(*, session: Session, query: ActivityQuery, order: Order, limit: int) -> Page[ActivityItem]:
    rows = repository.ACTIVITY.page(session, query.shape, query.params, limit=limit + 1)
    items, next_cursor = listing.page_of_dicts(
        rows, limit=limit, sort=SORT, order=order, item=ActivityItem
    )
    return Page[ActivityItem](items=items, next_cursor=next_cursor)


def newest(
    *, session: Session, workspace_id: uuid.UUID, filters: ActivityFilters, limit: int
) -> Page[ActivityItem]:
    """The first page, newest first, of the interactions matching `filters`."""
    first = query(
        session=session, workspace_id=workspace_id, filters=filters, order="desc", cursor=None
    )
    return page(session=session, query=first, order="desc", limit=limit)


def export(*, engine: Engine, query: ActivityQuery) -> Iterator[ActivityItem]:
    """Every matching row (a CSV export): the unpaged statement of the same shape."""
    unpaged = dataclasses.replace(query.shape, paged=False)
    rows = repository.ACTIVITY.stream(engine, unpaged, query.params)
    return listing.items_of(rows, ActivityItem)
