"""Audience analytics pages: the retention heat-map and the insights page (best time to post,
tier movement). They read through the same services as the REST API."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup, escape

from fanlens.analytics import insights, retention
from fanlens.analytics.schemas import BestTimeCell, RetentionMatrix, TierMovement
from fanlens.api.dependencies import Session
from fanlens.kit.errors import InvalidInput
from fanlens.web.auth import CurrentUser
from fanlens.web.rendering import chart, number, percent, render, urlencode_params

router = APIRouter(include_in_schema=False)
GRAINS = ("week", "month")
MODES = ("on", "on_or_after")


def _pick(value: str | None, allowed: tuple[str, ...]) -> Any:
    return value if value in allowed else allowed[0]


def _int(value: str | None, default: int, low: int, high: int) -> int:
    try:
        return min(max(int(value or default), low), high)
    except ValueError:
        return default


def _uuid_or_none(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def _date_or_none(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _text(value: str | None) -> str | None:
    cleaned = (value or "").replace("\x00", "").strip()[:100]
    return cleaned or None


def _retention_params(request: Request) -> dict[str, Any]:
    p = request.query_params
    return {
        "grain": _pick(p.get("grain"), GRAINS),
        "mode": _pick(p.get("mode"), MODES),
        "periods": _int(p.get("periods"), 12, 1, retention.MAX_PERIODS),
        "platform": _text(p.get("platform")),
        "types": _text(p.get("types")),
        "content": str(_uuid_or_none(p.get("content")) or ""),
    }


def _heatmap(m: RetentionMatrix, params: dict[str, Any]) -> dict[str, Any]:
    periods = len(m.cohorts)
    z = [[c.cells[n].rate if n < len(c.cells) else None for n in range(periods)] for c in m.cohorts]
    text = [
        [f"{c.cells[n].followers}" if n < len(c.cells) else "" for n in range(periods)]
        for c in m.cohorts
    ]
    return {
        "kind": "heatmap",
        "title": "Share of each cohort returning in period N",
        "x": [f"{m.grain} {n}" for n in range(periods)],
        "y": [f"{c.cohort} ({c.size})" for c in m.cohorts],
        "z": z,
        "zmax": _largest_return(z),
        "z_format": ".0%",
        "text": text,
        "cell_text": "%{z:.1%}",
        "cell_text_chars": 5,
        # A click follows the link of the table's cell (a row per cohort, in the same order):
        # the spec does not repeat 1 378 links of a 52-cohort page.
        "cell_links": "retention-table",
        "series": [],
        "y_title": "first seen (followers)",
        "hover": "%{y} · %{x}: %{z:.1%} (%{text} followers)<extra></extra>",
    }


def _table_rows(m: RetentionMatrix, params: dict[str, Any]) -> list[Markup]:
    """Per cohort, the table's cells as HTML: each cell's followers (linked to their list) and
    rate, then blank cells up to the table's width. Built here, not in the template: Jinja
    yields each piece of a cell on its own through the page's template inheritance, and the
    1 378 cells of 52 cohorts were 17 000 pieces, most of the page's rendering. Each row's query
    is encoded and escaped once and each cell adds its period; the formatted numbers hold digits,
    separators, "%" and "–" only, nothing to escape."""
    width = len(m.cohorts)
    rows = []
    for c in m.cohorts:
        query = escape(urlencode_params({**params, "cohort": c.cohort}))
        cells = "".join(
            f'<td data-period="{cell.period}"{_INCOMPLETE if cell.incomplete else ""}>'
            f'<a href="?{query}&amp;period={cell.period}#people">{number(cell.followers)}</a> '
            f'<span class="muted small">{percent(cell.rate, 1)}</span>'
            f"{'*' if cell.incomplete else ''}</td>"
            for cell in c.cells
        )
        rows.append(Markup(cells + "<td></td>" * (width - len(c.cells))))
    return rows


_INCOMPLETE = ' class="incomplete" title="incomplete period"'


def _largest_return(z: list[list[float | None]]) -> float | None:
    """The top of the heat-map's colour scale: the largest rate after period 0 (the cohort's own
    period, often near 100 %), so the colours spread over the rates of later periods."""
    later = [rate for row in z for rate in row[1:] if rate]
    return max(later) if later else None


@router.get("/analytics/retention", response_class=HTMLResponse)
def retention_page(request: Request, session: Session, user: CurrentUser) -> HTMLResponse:
    params = _retention_params(request)
    types = [t.strip() for t in (params["types"] or "").split(",") if t.strip()] or None
    common: dict[str, Any] = {
        "grain": params["grain"],
        "platform": params["platform"],
        "types": types,
        "first_touch_content_id": _uuid_or_none(params["content"]),
    }
    m = retention.matrix(
        session=session,
        workspace_id=user.workspace_id,
        mode=params["mode"],
        periods=params["periods"],
        **common,
    )
    cohort = _date_or_none(request.query_params.get("cohort"))
    period = _int(request.query_params.get("period"), 0, 0, retention.MAX_PERIODS)
    people = (
        retention.people(
            session=session,
            workspace_id=user.workspace_id,
            cohort=cohort,
            period=period,
            mode=params["mode"],
            **common,
        )
        if cohort
        else None
    )
    return render(
        request,
        "retention.html",
        {
            "user": user,
            "active": "retention",
            "m": m,
            "params": params,
            "heatmap": _heatmap(m, params),
            "table_rows": _table_rows(m, params),
            "cohort": cohort,
            "period": period,
            "people": people,
            "csv": "/api/social-analytics/retention?"
            + urlencode_params({**params, "format": "csv"}),
        },
    )


WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DIRECTIONS = ("up", "held", "down", "new")


def _time_heatmap(platform: str, cells: list[BestTimeCell], tz: str) -> dict[str, Any]:
    grid: list[list[float | None]] = [[None] * 24 for _ in WEEKDAYS]
    posts: list[list[str]] = [[""] * 24 for _ in WEEKDAYS]
    for c in cells:
        grid[c.weekday - 1][c.hour] = c.avg_engagement
        posts[c.weekday - 1][c.hour] = str(c.posts)
    return {
        "kind": "heatmap",
        "title": f"{platform}: mean first-24-hour interactions per post ({tz})",
        "x": [f"{h:02d}" for h in range(24)],
        "y": list(WEEKDAYS),
        "z": grid,
        "text": posts,
        "series": [],
        "y_title": "weekday",
        "x_title": "hour posted",
        "hover": "%{y} %{x}h: %{z:.1f} per post (%{text} posts)<extra></extra>",
    }


def _tier_chart(movement: TierMovement) -> dict[str, Any]:
    return chart(
        "stacked",
        [p.period for p in movement.periods],
        {d: [getattr(p, d) for p in movement.periods] for d in DIRECTIONS},
        title=f"Tier movement per {movement.grain}",
        y_title="followers",
    )


@router.get("/analytics/insights", response_class=HTMLResponse)
def insights_page(request: Request, session: Session, user: CurrentUser) -> HTMLResponse:
    p = request.query_params
    tz = (_text(p.get("tz")) or "UTC")[:64]
    grain = _pick(p.get("grain"), GRAINS)
    periods = _int(p.get("periods"), 12, 1, retention.MAX_PERIODS)
    try:
        times = insights.best_time(session=session, workspace_id=user.workspace_id, tz=tz)
    except InvalidInput:  # an unknown zone typed in the form: show UTC rather than an error
        tz = "UTC"
        times = insights.best_time(session=session, workspace_id=user.workspace_id, tz=tz)
    by_platform: dict[str, list[BestTimeCell]] = {}
    for c in times.cells:
        by_platform.setdefault(c.platform, []).append(c)
    movement = insights.tier_movement(
        session=session, workspace_id=user.workspace_id, grain=grain, periods=periods
    )
    return render(
        request,
        "insights.html",
        {
            "user": user,
            "active": "insights",
            "params": {"tz": tz, "grain": grain, "periods": periods},
            "times": times,
            "time_charts": {pl: _time_heatmap(pl, cs, tz) for pl, cs in by_platform.items()},
            "movement": movement,
            "tier_chart": _tier_chart(movement),
            "weekdays": WEEKDAYS,
        },
    )
