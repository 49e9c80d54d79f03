"""Query parameters shared by list endpoints. Constraints are declared so OpenAPI states them."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query

from fanlens.api.csv import Format
from fanlens.kit.bounds import Day, Moment
from fanlens.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT

# PostgreSQL text cannot hold NUL; refusing it here keeps such input a 422, not a 500.
NO_NUL = r"^[^\x00]*$"

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Page size (at most {MAX_LIMIT}).")]
Cursor = Annotated[
    str | None,
    Query(max_length=2000, pattern=r"^[A-Za-z0-9_-]*$", description="`next_cursor` of a page."),
]
SortOrder = Annotated[Literal["asc", "desc"], Query(description="Sort direction.")]
FormatParam = Annotated[
    Format | None,
    Query(
        alias="format",
        description="`csv` streams every matching row as CSV (also `Accept: text/csv`).",
    ),
]
Text = Annotated[str | None, Query(min_length=1, max_length=200, pattern=NO_NUL)]
Platform = Annotated[
    str | None,
    Query(min_length=1, max_length=50, pattern=NO_NUL, description="e.g. tiktok, instagram."),
]
Timestamp = Annotated[
    Moment | None, Query(description="RFC 3339 timestamp, between 1970 and 2100.")
]
DayParam = Annotated[Day | None, Query(description="A day between 1970 and 2099.")]
__all__ = ["DEFAULT_LIMIT", "Cursor", "FormatParam", "Limit", "Platform", "SortOrder", "Text"]
