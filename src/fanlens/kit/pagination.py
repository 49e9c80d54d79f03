"""Keyset pagination: a page of items, and an opaque cursor holding the last row's sort value
and id.

The cursor names the sort it was made for, so a cursor replayed under another sort or order is
refused (422) instead of silently skipping rows.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import SQLColumnExpression, and_, or_, tuple_

from fanlens.kit.errors import InvalidInput

Order = Literal["asc", "desc"]
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` for the next page; null on the last page."
    )


@dataclass(frozen=True)
class Keyset:
    """Where a page starts: after (value, id) in the given sort and order."""

    sort: str
    order: Order
    value: Any
    id: str


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    return value


def encode(*, sort: str, order: Order, value: Any, row_id: Any) -> str:
    raw = json.dumps([sort, order, _plain(value), str(row_id)], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(cursor: str, *, sort: str, order: Order) -> Keyset:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw_sort, raw_order, value, row_id = json.loads(base64.urlsafe_b64decode(padded))
        uuid.UUID(str(row_id))
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidInput(
            "cursor is not one this API issued",
            details=[{"field": "cursor", "message": "malformed cursor"}],
        ) from exc
    if (raw_sort, raw_order) != (sort, order):
        raise InvalidInput(
            f"cursor was issued for sort={raw_sort} order={raw_order}",
            details=[{"field": "cursor", "message": "cursor does not match sort and order"}],
        )
    return Keyset(sort=sort, order=order, value=value, id=str(row_id))


def after_position(
    sort_expr: SQLColumnExpression[Any],
    id_expr: SQLColumnExpression[Any],
    order: Order,
    value: Any,
    row_id: Any,
    *,
    nullable: bool = True,
) -> SQLColumnExpression[bool]:
    """The rows strictly after a (value, id) position, NULL sort values last in either order.
    Value and id are values or statement parameters; `value` None means the position is among
    the NULL sort values."""
    if value is None:  # already among the NULLs: only the id decides
        cmp = id_expr < row_id if order == "desc" else id_expr > row_id
        return and_(sort_expr.is_(None), cmp)
    if order == "desc":
        beyond = tuple_(sort_expr, id_expr) < tuple_(value, row_id)
    else:
        beyond = tuple_(sort_expr, id_expr) > tuple_(value, row_id)
    return or_(beyond, sort_expr.is_(None)) if nullable else beyond


def order_by(
    sort_expr: SQLColumnExpression[Any],
    id_expr: SQLColumnExpression[Any],
    order: Order,
    nullable: bool = True,
) -> list[SQLColumnExpression[Any]]:
    # A NOT NULL column gets a plain ORDER BY, which a (…, column) index can serve either way;
    # NULLS LAST on a DESC order would force a sort of every matching row.
    if not nullable:
        return [sort_expr.desc(), id_expr.desc()] if order == "desc" else [sort_expr, id_expr]
    if order == "desc":
        return [sort_expr.desc().nulls_last(), id_expr.desc()]
    return [sort_expr.asc().nulls_last(), id_expr.asc()]


SortKind = Literal["number", "time", "date", "text"]


def coerce(kind: SortKind, value: Any) -> Any:
    """A cursor's JSON value back in the sort column's type (so PostgreSQL compares like types)."""
    if value is None:
        return None
    try:
        if kind == "number":
            return Decimal(str(value))
        if kind == "time":
            return datetime.fromisoformat(str(value))
        if kind == "date":
            return date.fromisoformat(str(value))
        return str(value)
    except (ValueError, ArithmeticError) as exc:
        raise InvalidInput(
            "cursor is not one this API issued",
            details=[{"field": "cursor", "message": "malformed cursor value"}],
        ) from exc
