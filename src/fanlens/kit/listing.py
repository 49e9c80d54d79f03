"""Keyset pages of a list query.

A list query is a Select whose rows carry `id` and `sort_value` columns besides the item's own
fields, compiled once per shape of filters (`kit.sql.ShapedStatement`): `cursor_params`,
`keyset_statement` and `page_of_dicts` make its pages, with the cursor's position as statement
parameters. A CSV export streams the unpaged statement of the page's shape
(`kit.sql.ShapedStatement.stream`), so a CSV row equals a JSON item.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any, Generic, Literal, Protocol, TypeVar

from pydantic import BaseModel, TypeAdapter
from sqlalchemy import Integer, Row, Select, SQLColumnExpression, Uuid

from fanlens.kit import pagination
from fanlens.kit.pagination import Order, SortKind
from fanlens.kit.sql import param

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
S = TypeVar("S")


# Where a page starts: at the beginning, after a position with a sort value, or after one
# among the NULL sort values (a different condition, so a different statement).
CursorState = Literal["none", "value", "null"]


def cursor_params(
    cursor: str | None, sort: str, column: Sort, order: Order
) -> tuple[CursorState, dict[str, Any]]:
    """The cursor's state and its `cursor_value` / `cursor_id` parameters."""
    if not cursor:
        return "none", {}
    keyset = pagination.decode(cursor, sort=sort, order=order)
    value = pagination.coerce(column.kind, keyset.value)
    position = {"cursor_id": uuid.UUID(keyset.id)}
    if value is None:
        return "null", position
    return "value", {**position, "cursor_value": value}


@dataclass(frozen=True)
class Sort:
    """A column a list sorts on: how a cursor's value of it reads back (`kind`), its SQL type
    as a statement parameter, and whether it can be NULL (NULLs sort last, a condition of their
    own; a coalesced sort cannot)."""

    kind: SortKind
    value_type: Any
    nullable: bool = True


class ListShape(Protocol):
    """What every list shape says besides its filters: the order, where the page starts and
    whether it is a page (LIMIT) or every row (a CSV export)."""

    @property
    def order(self) -> Order: ...
    @property
    def cursor(self) -> CursorState: ...
    @property
    def paged(self) -> bool: ...


@dataclass(frozen=True)
class ListQuery(Generic[S]):
    """A list ready to run: its statement's shape and parameter values."""

    shape: S
    params: dict[str, Any]


def keyset_statement(
    stmt: Select[Any],
    shape: ListShape,
    *,
    sort_expr: SQLColumnExpression[Any],
    id_expr: SQLColumnExpression[Any],
    sort: Sort,
) -> Select[Any]:
    """Order the query by (sort, id), start it after the cursor's position (parameters
    `cursor_value`, `cursor_id`), and page it with a `limit` parameter when the shape is paged
    (an export reads every row)."""
    stmt = stmt.add_columns(sort_expr.label("sort_value"))
    order, nullable = shape.order, sort.nullable
    if shape.cursor != "none":
        value = None if shape.cursor == "null" else param("cursor_value", sort.value_type)
        stmt = stmt.where(
            pagination.after_position(
                sort_expr, id_expr, order, value, param("cursor_id", Uuid), nullable=nullable
            )
        )
    stmt = stmt.order_by(*pagination.order_by(sort_expr, id_expr, order, nullable))
    return stmt.limit(param("limit", Integer)) if shape.paged else stmt


def items_of(rows: Iterator[Row[Any]], item: type[M]) -> Iterator[M]:
    """Each streamed row as the list's item (a CSV export); a dict validates faster than a
    mapping."""
    return (item.model_validate(row._asdict()) for row in rows)


@cache
def _list_of(item: type[M]) -> TypeAdapter[list[M]]:
    return TypeAdapter(list[item])  # type: ignore[valid-type]  # built once per item type


def page_of_dicts(
    rows: list[dict[str, Any]],
    *,
    limit: int,
    sort: str,
    order: Order,
    item: type[M],
) -> tuple[list[M], str | None]:
    """The page of `limit` items in rows read with `limit + 1`, validated in one call, and the
    next page's cursor (None on the last page)."""
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = pagination.encode(
            sort=sort, order=order, value=last["sort_value"], row_id=last["id"]
        )
    return _list_of(item).validate_python(rows[:limit]), next_cursor
