"""Run a list query as one JSON page or as a stream of every row (CSV exports).

A list query is a Select whose rows carry `id` and `sort_value` columns besides the item's own
fields; both paths map rows to items with the same function, so a CSV row equals a JSON item.

The API's hot lists (activity, content) are compiled once per shape of filters instead
(`kit.sql.DriverStatement`): `cursor_params`, `keyset_statement` and `page_of_dicts` are the
keyset pagination of those, with the cursor's position as statement parameters.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Literal, TypeVar

from pydantic import TypeAdapter
from sqlalchemy import Engine, Integer, Row, Select, SQLColumnExpression, Uuid
from sqlalchemy.orm import Session

from fanlens.kit import pagination
from fanlens.kit.pagination import Order, SortKind
from fanlens.kit.sql import param

T = TypeVar("T")
STREAM_BATCH = 1000


def keyset_select(
    stmt: Select[Any],
    *,
    sort_expr: SQLColumnExpression[Any],
    id_expr: SQLColumnExpression[Any],
    sort: str,
    kind: SortKind,
    order: Order,
    cursor: str | None,
    nullable: bool = True,
) -> Select[Any]:
    """Order the query by (sort, id) and start it after the cursor, if any."""
    stmt = stmt.add_columns(sort_expr.label("sort_value"))
    if cursor:
        keyset = pagination.decode(cursor, sort=sort, order=order)
        value = pagination.coerce(kind, keyset.value)
        stmt = stmt.where(pagination.after(sort_expr, id_expr, keyset, value, nullable))
    return stmt.order_by(*pagination.order_by(sort_expr, id_expr, order, nullable))


def page(
    session: Session,
    stmt: Select[Any],
    *,
    limit: int,
    sort: str,
    order: Order,
    to_item: Callable[[Row[Any]], T],
) -> tuple[list[T], str | None]:
    """One page, and the cursor of the next one (None on the last page)."""
    rows = session.execute(stmt.limit(limit + 1)).all()
    return page_of(rows, limit=limit, sort=sort, order=order, to_item=to_item)


def page_of(
    rows: Sequence[Row[Any]],
    *,
    limit: int,
    sort: str,
    order: Order,
    to_item: Callable[[Row[Any]], T],
) -> tuple[list[T], str | None]:
    """The page of `limit` items in rows read with `limit + 1`, and the next page's cursor."""
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = pagination.encode(
            sort=sort, order=order, value=last.sort_value, row_id=last.id
        )
    return [to_item(row) for row in rows[:limit]], next_cursor


def stream(engine: Engine, stmt: Select[Any], *, to_item: Callable[[Row[Any]], T]) -> Iterator[T]:
    """Every row through a server-side cursor on a connection of its own, so an export of
    millions of rows holds one batch in memory and outlives the request's session."""
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=STREAM_BATCH).execute(stmt)
        for row in result:
            yield to_item(row)


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
    """`keyset_select` with the cursor's position as parameters, and a `limit` parameter when
    `paged` (an export reads every row)."""
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
    """`page_of` for rows read as dicts with `limit + 1`; the items validated in one call."""
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = pagination.encode(
            sort=sort, order=order, value=last["sort_value"], row_id=last["id"]
        )
    return items.validate_python(rows[:limit]), next_cursor
