"""Run a list query as one JSON page or as a stream of every row (CSV exports).

A list query is a Select whose rows carry `id` and `sort_value` columns besides the item's own
fields; both paths map rows to items with the same function, so a CSV row equals a JSON item.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import Engine, Row, Select, SQLColumnExpression
from sqlalchemy.orm import Session

from fanlens.kit import pagination
from fanlens.kit.pagination import Order, SortKind

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
