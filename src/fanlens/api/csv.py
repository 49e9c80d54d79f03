"""CSV downloads of list endpoints: `?format=csv` or `Accept: text/csv`, streamed row by row."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any, Literal

from fastapi import Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

Format = Literal["json", "csv"]
LIST_SEPARATOR = "|"


def wants_csv(request: Request, fmt: Format | None) -> bool:
    if fmt is not None:
        return fmt == "csv"
    accept = request.headers.get("accept", "")
    return "text/csv" in accept and "application/json" not in accept


def cell(value: Any) -> Any:
    """A JSON value as one CSV cell: lists joined by '|', objects as JSON, null as empty."""
    if value is None:
        return ""
    if isinstance(value, list):
        return LIST_SEPARATOR.join(str(cell(v)) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"), sort_keys=True)
    return value


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
