"""The dashboard's pages. Each reads through the same services as the REST API, scoped to the
logged-in user's workspace, so a page and the API always show the same numbers."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated, Any, get_args

import plotly
from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from fanlens.alerts import service as alerts
from fanlens.analytics import insights
from fanlens.analytics import service as analytics
from fanlens.api.csv import csv_response
from fanlens.api.dependencies import Session
from fanlens.audience import service as audience
from fanlens.audience.repository import FollowerFilters
from fanlens.audience.schemas import FollowerSort, FollowerSummary
from fanlens.connectors import service as connectors
from fanlens.content import service as content
from fanlens.content.repository import ContentFilters
from fanlens.content.schemas import ContentSort, ContentSummary
from fanlens.interactions import activity
from fanlens.interactions.repository import ActivityFilters
from fanlens.kit.errors import Forbidden, InvalidInput, NotFound
from fanlens.sentiment import repository as sentiment_repository
from fanlens.sentiment import service as sentiment
from fanlens.sentiment.schemas import CorrectedLabel
from fanlens.web import sessions
from fanlens.web.auth import CurrentUser, WriterUser, safe_next
from fanlens.web.rendering import chart, pivot, render

router = APIRouter(include_in_schema=False)
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
PAGE_SIZE = 50
ACTIVITY_PAGE = 25
TOP_N = 10
CONTENT_SORTS: tuple[str, ...] = get_args(ContentSort)
FOLLOWER_SORTS: tuple[str, ...] = get_args(FollowerSort)
TIERS = ("super_fan", "active", "lurker", "inactive")


def _choice(value: str | None, allowed: tuple[str, ...], default: str) -> Any:
    return value if value in allowed else default


def _text(value: str | None) -> str | None:
    """A free-text filter: trimmed, bounded, NUL-free (PostgreSQL text cannot hold NUL)."""
    cleaned = (value or "").replace("\x00", "").strip()[:200]
    return cleaned or None


def _uuid(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise NotFound(f"no {what} {value!r}") from exc


def _number(value: str | None) -> float | None:
    try:
        parsed = float(value) if value else None
    except ValueError:
        return None
    return parsed if parsed is not None and 0 <= parsed < 1e15 else None


@router.get("/", include_in_schema=False)
def home() -> RedirectResponse:
    return RedirectResponse("/analytics", status_code=303)


@router.get("/static/vendor/plotly.min.js", include_in_schema=False)
def plotly_js() -> FileResponse:
    """Plotly's own bundle, served from the installed `plotly` package (no CDN)."""
    return FileResponse(
        PLOTLY_JS,
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=86400"},
    )


# --- overview ------------------------------------------------------------------------------------


@router.get("/analytics", response_class=HTMLResponse)
def overview(request: Request, session: Session, user: CurrentUser) -> HTMLResponse:
    ws = user.workspace_id
    data = analytics.overview(session=session, workspace_id=ws)
    weeks, platforms, weekly = pivot(data.weekly, "week", "platform", "interactions")
    top_content = content.list_content(
        session=session,
        query=content.list_query(
            workspace_id=ws, filters=ContentFilters(), sort="total_engagement", order="desc",
            cursor=None,
        ),
        limit=5,
    )  # fmt: skip
    return render(
        request,
        "overview.html",
        {
            "user": user,
            "active": "overview",
            "data": data,
            "weeks": weeks,
            "trend_platforms": platforms,
            "weekly": weekly,
            "trend_chart": chart(
                "line", weeks, weekly, title="Interactions per week", y_title="interactions"
            ),
            "tier_chart": _tier_chart(data.tiers),
            "top_content": top_content.items,
            "top_fans": audience.leaderboard(
                session=session, workspace_id=ws, platform=None, limit=TOP_N
            ).items,
            "alerts": alerts.list_alerts(session=session, workspace_id=ws)[:TOP_N],
            "spikes": sentiment_repository.alerts_with_titles(
                session, workspace_id=ws, limit=TOP_N
            ),
        },
    )


def _tier_chart(tiers: list[Any], *, capped: bool = False) -> dict[str, Any]:
    return chart(
        "bar",
        [t.tier for t in tiers],
        {"followers": [t.followers for t in tiers]},
        title="Followers per tier" + (" (at least: counting stopped)" if capped else ""),
        y_title="followers",
        colors_by_x=True,
    )


# --- content -------------------------------------------------------------------------------------


def _content_query(request: Request) -> tuple[dict[str, Any], ContentFilters, Any, Any]:
    p = request.query_params
    params = {
        "platform": _text(p.get("platform")),
        "q": _text(p.get("q")),
        "tag": _text(p.get("tag")),
        "sort": _choice(p.get("sort"), CONTENT_SORTS, "total_engagement"),
        "order": _choice(p.get("order"), ("asc", "desc"), "desc"),
    }
    filters = ContentFilters(platform=params["platform"], tag=params["tag"], q=params["q"])
    return params, filters, params["sort"], params["order"]


@router.get("/analytics/content", response_class=HTMLResponse)
def content_list(request: Request, session: Session, user: CurrentUser) -> HTMLResponse:
    params, filters, sort, order = _content_query(request)
    cursor = _text(request.query_params.get("cursor"))
    query = content.list_query(
        workspace_id=user.workspace_id, filters=filters, sort=sort, order=order, cursor=cursor
    )
    page = content.list_content(session=session, query=query, limit=PAGE_SIZE)
    platforms = analytics.post_platforms(session=session, workspace_id=user.workspace_id)
    return render(
        request,
        "content_list.html",
        {
            "user": user,
            "active": "content",
            "page": page,
            "params": params,
            "platforms": platforms,
            "sorts": CONTENT_SORTS,
            "first_page": cursor is None,
        },
    )


@router.get("/analytics/content.csv")
def content_csv(request: Request, session: Session, user: CurrentUser) -> Response:
    _, filters, sort, order = _content_query(request)
    query = content.list_query(
        workspace_id=user.workspace_id, filters=filters, sort=sort, order=order, cursor=None
    )
    items = content.export_content(engine=session.get_bind(), query=query)  # type: ignore[arg-type]
    return csv_response(items, ContentSummary, "content")


@router.get("/analytics/content/{content_id}", response_class=HTMLResponse)
def content_detail(
    content_id: str, request: Request, session: Session, user: CurrentUser
) -> HTMLResponse:
    ws, cid = user.workspace_id, _uuid(content_id, "content item")
    # Read once and shared: the item's sentiment (detail and card: a pass over its comments),
    # the platforms' post totals (rates and the best-platform comparison).
    mood = sentiment.content_summary(
        session=session, workspace_id=ws, content_id=cid, with_trend=False
    )
    item = content.get_detail(session=session, workspace_id=ws, content_id=cid, mood=mood)
    post_totals = analytics.post_totals(session=session, workspace_id=ws)
    averages = analytics.post_rates(session=session, workspace_id=ws, post_totals=post_totals)
    days = [d.day for d in item.interactions_per_day]
    types = sorted({t for d in item.interactions_per_day for t in d.by_type})
    per_type = {t: [d.by_type.get(t, 0) for d in item.interactions_per_day] for t in types}
    comments = activity.newest(
        session=session,
        workspace_id=ws,
        filters=ActivityFilters(content_id=cid, interaction_type="comment"),
        limit=PAGE_SIZE,
    )
    return render(
        request,
        "content_detail.html",
        {
            "user": user,
            "active": "content",
            "item": item,
            "averages": averages,
            "best": insights.best_platform(
                session=session, workspace_id=ws, content_id=cid, post_totals=post_totals
            ),
            "types": types,
            "per_type": per_type,
            "day_chart": chart(
                "stacked", days, per_type, title="Interactions per day", y_title="interactions"
            ),
            "comments": comments.items,
            "labels": sentiment.sentiments_of(
                session=session, workspace_id=ws, interaction_ids=[c.id for c in comments.items]
            ),
            "mood": mood if mood.total or mood.pending else None,
        },
    )


@router.post("/analytics/comments/{interaction_id}/sentiment")
def correct_sentiment(
    interaction_id: str,
    request: Request,
    session: Session,
    user: WriterUser,
    label: Annotated[str, Form(max_length=20)],
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=500)] = "/analytics/content",
) -> RedirectResponse:
    """A person's label for one comment (the same correction as PUT .../sentiment/comments)."""
    if not sessions.csrf_ok(sessions.load(request), csrf_token):
        raise Forbidden("the form expired; reload the page and try again")
    if label not in get_args(CorrectedLabel):
        raise InvalidInput(f"label must be one of {', '.join(get_args(CorrectedLabel))}")
    sentiment.correct(
        session=session,
        workspace_id=user.workspace_id,
        interaction_id=_uuid(interaction_id, "comment"),
        label=label,
        corrected_by=f"user:{user.username}",
    )
    return RedirectResponse(safe_next(next), status_code=303)


# --- followers -----------------------------------------------------------------------------------


def _follower_query(request: Request) -> tuple[dict[str, Any], FollowerFilters]:
    p = request.query_params
    params = {
        "platform": _text(p.get("platform")),
        "tier": _choice(p.get("tier"), TIERS, ""),
        "q": _text(p.get("q")),
        "min_score": _number(p.get("min_score")),
        "sort": _choice(p.get("sort"), FOLLOWER_SORTS, "engagement_score"),
        "order": _choice(p.get("order"), ("asc", "desc"), "desc"),
    }
    filters = FollowerFilters(
        platform=params["platform"],
        tier=params["tier"] or None,
        min_score=params["min_score"],
        q=params["q"],
    )
    return params, filters


@router.get("/analytics/followers", response_class=HTMLResponse)
def followers(request: Request, session: Session, user: CurrentUser) -> HTMLResponse:
    ws = user.workspace_id
    params, filters = _follower_query(request)
    cursor = _text(request.query_params.get("cursor"))
    page = audience.list_followers(
        session=session,
        workspace_id=ws,
        filters=filters,
        sort=params["sort"],
        order=params["order"],
        cursor=cursor,
        limit=PAGE_SIZE,
    )
    # The search and the platform narrow every part of the page; tier and score only the list.
    breakdown = analytics.tier_breakdown(
        session=session, workspace_id=ws, platform=params["platform"], username=params["q"]
    )
    return render(
        request,
        "followers.html",
        {
            "user": user,
            "active": "followers",
            "page": page,
            "params": params,
            "platforms": breakdown.platforms,
            "sorts": FOLLOWER_SORTS,
            "tiers": breakdown.tiers,
            "tiers_capped": breakdown.capped,
            "search_cap": analytics.SEARCH_COUNT_CAP,
            "tier_names": TIERS,
            "tier_chart": _tier_chart(breakdown.tiers, capped=breakdown.capped),
            "leaderboard": audience.leaderboard(
                session=session,
                workspace_id=ws,
                platform=params["platform"],
                limit=TOP_N,
                q=params["q"],
            ).items,
            "first_page": cursor is None,
        },
    )


@router.get("/analytics/followers.csv")
def followers_csv(request: Request, session: Session, user: CurrentUser) -> Response:
    params, filters = _follower_query(request)
    query = audience.list_query(
        workspace_id=user.workspace_id,
        filters=filters,
        sort=params["sort"],
        order=params["order"],
        cursor=None,
    )
    items = audience.export_followers(engine=session.get_bind(), query=query)  # type: ignore[arg-type]
    return csv_response(items, FollowerSummary, "followers")


@router.get("/analytics/followers/{follower_id}", response_class=HTMLResponse)
def follower_detail(
    follower_id: str, request: Request, session: Session, user: CurrentUser
) -> HTMLResponse:
    cursor = _text(request.query_params.get("cursor"))
    detail = audience.get_detail(
        session=session,
        workspace_id=user.workspace_id,
        follower_id=_uuid(follower_id, "follower"),
        activity_cursor=cursor,
        activity_limit=ACTIVITY_PAGE,
    )
    # The chart is the follower's behaviour at known times; a change known only to have happened
    # by some time, and a new config's moves, are listed apart below it.
    history = [
        h for h in detail.tier_history if h.kind == "behaviour" and h.time_precision == "exact"
    ]
    return render(
        request,
        "follower.html",
        {
            "user": user,
            "active": "followers",
            "f": detail,
            "history_chart": chart(
                "step",
                [h.changed_at for h in history],
                {"score": [h.score for h in history]},
                title="Score when each tier was reached (current rules)",
                y_title="score",
                labels=[h.to_tier for h in history],
            ),
            "first_page": cursor is None,
        },
    )


# --- data health ---------------------------------------------------------------------------------


@router.get("/analytics/health", response_class=HTMLResponse)
def health(request: Request, session: Session, user: CurrentUser) -> HTMLResponse:
    report = connectors.health(session=session, workspace_id=user.workspace_id)
    return render(request, "health.html", {"user": user, "active": "health", "report": report})
