"""Keyset pages of a list query.

A list query is a Select whose rows carry `id` and `sort_value` columns besides the item's own
fields, compiled once per shape of filters (`kit.sql.DriverStatement`): `cursor_params`,
`keyset_statement` and `page_of_dicts` make its pages, with the cursor's position as statement
parameters. A CSV export streams the unpaged statement of the page's shape
(`kit.sql.DriverStatement.stream`), so a CSV row equals a JSON item.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal, TypeVar

from pydantic import TypeAdapter
from sqlalchemy import Integer, Select, SQLColumnExpression, Uuid

from fanlens.kit import pagination
from fanlens.kit.pagination import Order, SortKind
from fanlens.kit.sql import param

T = TypeVar("T")


# Where a page starts: at the beginning, after a position with a sort value, or after one
# among the NULL sort values (a different condition, so a different statement).
CursorState = Literal["none", "value", "null"]


def cursor_params(
    cursor: str | None, *, sort: str, kind: SortKind, order: Order
) -> tuple[CursorState, dict[str, Any]]:
    """The cursor's state and its `cursor_value` / `cursor_id` parameters."""
    if not cursor:
        return "none", {}
    keyset = pagination.decode(cursor, sort=sort, order=order)
    value = pagination.coerce(kind, keyset.value)
    position = {"cursor_id": uuid.UUID(keyset.id)}
    if value is None:
        return "null", position
    return "value", {**position, "cursor_value": value}


def keyset_statement(
    stmt: Select[Any],
    *,
    sort_expr: SQLColumnExpression[Any],
    id_expr: SQLColumnExpression[Any],
    value_type: Any,
    order: Order,
    nullable: bool,
    cursor: CursorState,
    paged: bool,
) -> Select[Any]:
    """Order the query by (sort, id), start it after the cursor's position (parameters
    `cursor_value`, `cursor_id`), and page it with a `limit` parameter when `paged` (an export
    reads every row)."""
    stmt = stmt.add_columns(sort_expr.label("sort_value"))
    if cursor != "none":
        value = None if cursor == "null" else param("cursor_value", value_type)
        stmt = stmt.where(
            pagination.after_position(
                sort_expr, id_expr, order, value, param("cursor_id", Uuid), nullable=nullable
            )
        )
    stmt = stmt.order_by(*pagination.order_by(sort_expr, id_expr, order, nullable))
    return stmt.limit(param("limit", Integer)) if paged else stmt


def page_of_dicts(
    rows: list[dict[str, Any]],
    *,
    limit: int,
    sort: str,
    order: Order,
    items: TypeAdapter[list[T]],
) -> tuple[list[T], str | None]:
    """The page of `limit` items in rows read with `limit + 1`, validated in one call, and the
    next page's cursor (None on the last page)."""
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = pagination.encode(
            sort=sort, order=order, value=last["sort_value"], row_id=last["id"]
        )
    return items.validate_python(rows[:limit]), next_cursor
