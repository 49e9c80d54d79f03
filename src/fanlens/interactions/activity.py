"""Reading the interaction log: "what did @creator_amy comment on last week?"."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import Engine, Row
from sqlalchemy.orm import Session

from fanlens.interactions import repository
from fanlens.interactions.repository import ActivityFilters, ActivityShape
from fanlens.interactions.schemas import ActivityItem
from fanlens.kit import listing
from fanlens.kit.pagination import Order, Page

SORT = "occurred_at"
_ITEMS = TypeAdapter(list[ActivityItem])


ActivityQuery = listing.ListQuery[ActivityShape]  # an activity question ready to run


def _item(row: Row[Any]) -> ActivityItem:
    return ActivityItem.model_validate(row._asdict())  # a dict validates faster than a mapping


def query(
    *,
    session: Session,
    workspace_id: uuid.UUID,
    filters: ActivityFilters,
    order: Order,
    cursor: str | None,
) -> ActivityQuery:
    follower_ids = None
    if filters.username:
        follower_ids = repository.follower_ids_by_username(
            session, workspace_id=workspace_id, username=filters.username
        )
    params = repository.activity_params(workspace_id, filters, follower_ids)
    state, position = listing.cursor_params(
        cursor, sort=SORT, kind=repository.OCCURRED_AT.kind, order=order
    )
    shape = ActivityShape.of(filters, follower_ids, order=order, cursor=state, paged=True)
    return ActivityQuery(shape=shape, params={**params, **position})


def page(*, session: Session, query: ActivityQuery, order: Order, limit: int) -> Page[ActivityItem]:
    rows = repository.ACTIVITY.page(session, query.shape, query.params, limit=limit + 1)
    items, next_cursor = listing.page_of_dicts(
        rows, limit=limit, sort=SORT, order=order, items=_ITEMS
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
    return (_item(r) for r in repository.ACTIVITY.stream(engine, unpaged, query.params))
