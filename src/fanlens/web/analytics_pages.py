"""Audience analytics pages: the retention heat-map and the insights page (best time to post,
tier movement). They read through the same services as the REST API."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from fanlens.analytics import retention
from fanlens.analytics.schemas import RetentionMatrix
from fanlens.api.dependencies import Session
from fanlens.web.auth import CurrentUser
from fanlens.web.rendering import render, urlencode_params

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
    links = [
        [
            f"?{urlencode_params({**params, 'cohort': c.cohort, 'period': n})}#people"
            if n < len(c.cells)
            else None
            for n in range(periods)
        ]
        for c in m.cohorts
    ]
    return {
        "kind": "heatmap",
        "title": "Share of each cohort returning in period N",
        "x": [f"{m.grain} {n}" for n in range(periods)],
        "y": [f"{c.cohort} ({c.size})" for c in m.cohorts],
        "z": z,
        "text": text,
        "links": links,
        "series": [],
        "y_title": "first seen (followers)",
        "hover": "%{y} · %{x}: %{z:.1%} (%{text} followers)<extra></extra>",
    }


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
            "cohort": cohort,
            "period": period,
            "people": people,
            "csv": "/api/social-analytics/retention?"
            + urlencode_params({**params, "format": "csv"}),
        },
    )
