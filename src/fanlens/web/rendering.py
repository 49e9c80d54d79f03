"""Templates, the filters they use, and chart specs (drawn by static/charts.js with Plotly)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
STATIC_DIR = Path(__file__).parent / "static"
NAV = [
    ("overview", "/analytics", "Overview"),
    ("live", "/analytics/live", "Live"),
    ("content", "/analytics/content", "Content"),
    ("followers", "/analytics/followers", "Followers"),
    ("retention", "/analytics/retention", "Retention"),
    ("insights", "/analytics/insights", "Insights"),
    ("links", "/analytics/links", "Linking"),
    ("people", "/analytics/people", "People"),
    ("outreach", "/analytics/outreach", "Outreach"),
    ("health", "/analytics/health", "Data health"),
]
TIER_LABELS = {
    "super_fan": "Super fan",
    "active": "Active",
    "lurker": "Lurker",
    "inactive": "Inactive",
}


def number(value: Any, digits: int = 0) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float) and digits == 0 and not value.is_integer():
        digits = 1
    return f"{value:,.{digits}f}"


def percent(value: Any, digits: int = 2) -> str:
    if value is None:
        return "–"
    return f"{float(value) * 100:.{digits}f} %"


def when(value: datetime | date | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M") + (" UTC" if value.utcoffset() is not None else "")
    return value.isoformat()


def day(value: datetime | date | None) -> str:
    if value is None:
        return "–"
    return (value.date() if isinstance(value, datetime) else value).isoformat()


def tier_label(value: str | None) -> str:
    return TIER_LABELS.get(value or "", value or "–")


def urlencode_params(params: Mapping[str, Any]) -> str:
    """Query string of the set parameters (empty filters are left out of links)."""
    return urlencode({k: v for k, v in params.items() if v not in (None, "")})


_HTTP_URL = re.compile(r"https?://[^\s/?#]", re.IGNORECASE)


def http_url(value: Any) -> bool:
    """Whether a URL from imported data may become a link: only http(s) ones. javascript:,
    data: and the rest stay plain text (browsers strip leading spaces and control characters
    before reading a scheme, so the URL must start with the scheme itself)."""
    return isinstance(value, str) and _HTTP_URL.match(value) is not None


TEMPLATES.env.tests["http_url"] = http_url
TEMPLATES.env.filters.update(
    number=number,
    percent=percent,
    when=when,
    day=day,
    tier_label=tier_label,
    urlencode_params=urlencode_params,
)


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    page = {"request": request, "nav": NAV, **context}
    page.setdefault("user", None)
    page.setdefault("active", "")
    return TEMPLATES.TemplateResponse(
        request, template, page, status_code=status_code, headers=dict(headers or {})
    )


def chart(
    kind: str,
    x: Iterable[Any],
    series: Mapping[str, Iterable[Any]],
    *,
    title: str,
    y_title: str = "",
    **extra: Any,
) -> dict[str, Any]:
    """A chart spec for charts.js: `kind` is line, bar, stacked or step."""
    return {
        "kind": kind,
        "title": title,
        "x": [v.isoformat() if isinstance(v, date | datetime) else v for v in x],
        "series": [
            {"name": name, "y": [float(v) if isinstance(v, Decimal) else v for v in values]}
            for name, values in series.items()
        ],
        "y_title": y_title,
        **extra,
    }


def pivot(
    rows: Iterable[Any], row_key: str, column_key: str, value_key: str
) -> tuple[list[Any], list[str], dict[str, list[Any]]]:
    """Long rows -> (row labels, column labels, {column: values per row}); gaps are 0."""
    cells: dict[tuple[Any, str], Any] = {}
    row_labels: list[Any] = []
    columns: list[str] = []
    for r in rows:
        rk, ck = getattr(r, row_key), getattr(r, column_key)
        if rk not in row_labels:
            row_labels.append(rk)
        if ck not in columns:
            columns.append(ck)
        cells[(rk, ck)] = getattr(r, value_key)
    row_labels.sort()
    columns.sort()
    return row_labels, columns, {c: [cells.get((rk, c), 0) for rk in row_labels] for c in columns}
