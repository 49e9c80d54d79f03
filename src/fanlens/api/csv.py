"""CSV downloads of list endpoints: `?format=csv` or `Accept: text/csv`, streamed row by row.

Every CSV fanlens writes (API, dashboard and outreach exports) goes through `cell`.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Literal, TextIO

from fastapi import Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

Format = Literal["json", "csv"]
LIST_SEPARATOR = "|"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")


def wants_csv(request: Request, fmt: Format | None) -> bool:
    if fmt is not None:
        return fmt == "csv"
    accept = request.headers.get("accept", "")
    return "text/csv" in accept and "application/json" not in accept


def cell(value: Any) -> Any:
    """A JSON value as one CSV cell: lists joined by '|', objects as JSON, null as empty;
    text a spreadsheet would run as a formula is escaped (see `defused`)."""
    text = _flat(value)
    return defused(text) if isinstance(text, str) else text


def _flat(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list):
        return LIST_SEPARATOR.join(str(_flat(v)) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"), sort_keys=True)
    return value


def defused(text: str) -> str:
    """Text starting with = + - @ tab or CR gets a leading ' (OWASP's advice against formula
    injection): a spreadsheet shows it as text instead of running it. A plain number such as
    -3 or -0.25 is left alone, so numbers (and decimals the JSON carries as text) stay numbers."""
    if text.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def write_rows(out: TextIO, columns: list[str], rows: Iterable[Mapping[str, Any]]) -> None:
    """Rows of dicts as CSV with a header, each value made a safe cell (for small exports)."""
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows([cell(row.get(c)) for c in columns] for row in rows)


def _lines(items: Iterable[BaseModel], columns: list[str]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for n, item in enumerate(items, 1):
        data = item.model_dump(mode="json")
        writer.writerow([cell(data[c]) for c in columns])
        if n % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def csv_response(
    items: Iterable[BaseModel], model: type[BaseModel], filename: str
) -> StreamingResponse:
    columns = list(model.model_fields)
    return StreamingResponse(
        _lines(items, columns),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
    )
