"""CSV downloads of list endpoints: `?format=csv` or `Accept: text/csv`, streamed row by row,
each value made a safe cell by fanlens.kit.csv_cells."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Literal

from fastapi import Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from fanlens.kit.csv_cells import cell

Format = Literal["json", "csv"]


def wants_csv(request: Request, fmt: Format | None) -> bool:
    if fmt is not None:
        return fmt == "csv"
    accept = request.headers.get("accept", "")
    return "text/csv" in accept and "application/json" not in accept


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
