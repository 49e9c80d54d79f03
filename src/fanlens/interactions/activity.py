"""Reading the interaction log: "what did @creator_amy comment on last week?"."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, Row, Select
from sqlalchemy.orm import Session

from fanlens.api.schemas import Page
from fanlens.interactions import repository
from fanlens.interactions.models import FollowerInteraction
from fanlens.interactions.repository import ActivityFilters
from fanlens.interactions.schemas import ActivityItem
from fanlens.kit import listing
from fanlens.kit.pagination import Order

SORT = "occurred_at"


def _item(row: Row[Any]) -> ActivityItem:
    return ActivityItem.model_validate(row._mapping)


def list_select(
    *,
    session: Session,
    workspace_id: uuid.UUID,
    filters: ActivityFilters,
    order: Order,
    cursor: str | None,
) -> Select[Any]:
    follower_ids = None
    if filters.username:
        follower_ids = repository.follower_ids_by_username(
            session, workspace_id=workspace_id, username=filters.username
        )
    return listing.keyset_select(
        repository.activity_select(workspace_id, filters, follower_ids),
        sort_expr=FollowerInteraction.occurred_at,
        id_expr=FollowerInteraction.id,
        sort=SORT,
        kind="time",
        order=order,
        cursor=cursor,
        nullable=False,  # occurred_at is NOT NULL: lets the (follower_id, occurred_at) index order
    )


def page(*, session: Session, stmt: Select[Any], order: Order, limit: int) -> Page[ActivityItem]:
    items, next_cursor = listing.page(
        session, stmt, limit=limit, sort=SORT, order=order, to_item=_item
    )
    return Page[ActivityItem](items=items, next_cursor=next_cursor)


def export(*, engine: Engine, stmt: Select[Any]) -> Iterator[ActivityItem]:
    return listing.stream(engine, stmt, to_item=_item)
