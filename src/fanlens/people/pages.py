"""The people pages: the cross-platform leaderboard, suggestions, one person with their activity
across platforms, and finding a person by handle (the search box in the nav); and their buttons
(merge or reject a suggestion, merge by handle, unmerge), which go through the same services as
the REST API and come back to a page that says what was done."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from fanlens.api.dependencies import Session
from fanlens.connectors.service import PLATFORMS
from fanlens.interactions import activity
from fanlens.interactions.repository import ActivityFilters
from fanlens.kit.bounds import day_in_window
from fanlens.kit.errors import InvalidInput, NotFound
from fanlens.kit.timeutil import utcnow
from fanlens.people import service
from fanlens.web.auth import CurrentUser, WriterUser, check_csrf, safe_next
from fanlens.web.rendering import render

router = APIRouter(include_in_schema=False)
TOP_N = 25
SUGGESTIONS_SHOWN = 50  # the most confident first; deciding them brings the next ones up
TIMELINE_PAGE = 50
SEARCH_LIMIT = 50
SUGGESTIONS = 10
PRESETS = (("7d", "Last 7 days", 7), ("30d", "Last 30 days", 30))
PEOPLE = "/analytics/people"
# What a redirect's `done` flag says on the page it lands on (never text from the request).
NOTICES = {
    "merged": "Merged: the suggestion's two identities are one person now.",
    "rejected": "Rejected: these two identities will not be suggested or merged again.",
    "merged-by-hand": "Merged: every identity of the other person belongs to this person now.",
    "unmerged": "Unmerged: the identities moved back to the person they came from.",
}
Csrf = Annotated[str, Form(max_length=200)]


def _id(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise NotFound(f"no {what} {value!r}") from exc


def _notice(request: Request) -> str | None:
    return NOTICES.get(request.query_params.get("done", ""))


@router.get("/analytics/people", response_class=HTMLResponse)
def people(request: Request, session: Session, user: CurrentUser) -> HTMLResponse:
    ws = user.workspace_id
    return render(
        request,
        "people.html",
        {
            "user": user,
            "active": "people",
            "top": service.leaderboard(session=session, workspace_id=ws, limit=TOP_N),
            "influential": service.influential(session=session, workspace_id=ws, limit=10),
            "suggestions": service.suggestions(
                session=session, workspace_id=ws, limit=SUGGESTIONS_SHOWN
            ),
            "pending": service.pending_count(session=session, workspace_id=ws),
            "merges": service.recent_merges(session=session, workspace_id=ws),
            "notice": _notice(request),
        },
    )


@router.get("/analytics/search", response_class=HTMLResponse)
def search(request: Request, session: Session, user: CurrentUser) -> Response:
    """The nav's search box: one person found opens their page; several, or none, are listed."""
    asked = (request.query_params.get("q") or "")[: service.HANDLE_MAX * 2]
    found = service.find_by_handle(
        session=session, workspace_id=user.workspace_id, handle=asked, limit=SEARCH_LIMIT
    )
    if len(found.person_ids) == 1:
        return RedirectResponse(f"/analytics/people/{found.person_ids[0]}", status_code=303)
    context = {"user": user, "active": "people", "found": found, "limit": SEARCH_LIMIT}
    return render(request, "search.html", context)


@router.get("/analytics/search/handles")
def handle_suggestions(request: Request, session: Session, user: CurrentUser) -> JSONResponse:
    """What the search box's <datalist> offers: up to 10 handles starting with `q`."""
    asked = (request.query_params.get("q") or "")[: service.HANDLE_MAX * 2]
    handles = service.handles_starting(
        session=session, workspace_id=user.workspace_id, handle=asked, limit=SUGGESTIONS
    )
    return JSONResponse({"handles": [f"@{h}" for h in handles]})


@dataclass(frozen=True)
class TimelineView:
    """The person page's activity filters as the page's query string gives them: `since` and
    `until` are UTC days, both included; a value that is not a day is ignored and named."""

    params: dict[str, str]
    since: date | None
    until: date | None
    ignored: list[str]

    def filters(self, follower_ids: tuple[uuid.UUID, ...]) -> ActivityFilters:
        return ActivityFilters(
            follower_ids=follower_ids,
            platform=self.params.get("platform"),
            interaction_type=self.params.get("type"),
            since=_start(self.since),
            until=_start(self.until + timedelta(days=1)) if self.until else None,
        )


def _start(day: date | None) -> datetime | None:
    return datetime.combine(day, time(), tzinfo=UTC) if day else None


def _day(value: str | None) -> date | None:
    try:
        return day_in_window(date.fromisoformat(value)) if value else None
    except ValueError:
        return None


def timeline_view(query: Any) -> TimelineView:
    params = {
        k: v.replace("\x00", "").strip()[:50]
        for k in ("type", "platform", "since", "until")
        if (v := query.get(k))
    }
    since, until = _day(params.get("since")), _day(params.get("until"))
    ignored = [k for k, d in (("since", since), ("until", until)) if k in params and d is None]
    for key in ignored:
        del params[key]
    return TimelineView(params=params, since=since, until=until, ignored=ignored)


def presets(view: TimelineView, today: date) -> list[dict[str, Any]]:
    """The "Last N days" links: N UTC days up to today, both included, the other filters kept;
    the one the page shows is marked."""
    out = []
    for key, label, days in PRESETS:
        since, until = today - timedelta(days=days - 1), today
        params = {**view.params, "since": since.isoformat(), "until": until.isoformat()}
        active = (view.since, view.until) == (since, until)
        out.append({"key": key, "label": label, "params": params, "active": active})
    return out


@router.get("/analytics/people/{person_id}", response_class=HTMLResponse)
def person(person_id: str, request: Request, session: Session, user: CurrentUser) -> HTMLResponse:
    pid = _id(person_id, "person")
    ws = user.workspace_id
    detail = service.detail(session=session, workspace_id=ws, person_id=pid, timeline_limit=0)
    view = timeline_view(request.query_params)
    cursor = (request.query_params.get("cursor") or "")[:500] or None
    follower_ids = tuple(i.follower_id for i in detail.identities)
    query = activity.query(
        session=session,
        workspace_id=ws,
        filters=view.filters(follower_ids),
        order="desc",
        cursor=cursor,
    )
    timeline = activity.page(session=session, query=query, order="desc", limit=TIMELINE_PAGE)
    context = {
        "user": user,
        "active": "people",
        "p": detail,
        "view": view,
        "timeline": timeline,
        "first_page": cursor is None,
        # New interactions go on top only where they surely belong: the newest page, unfiltered.
        "live": cursor is None and not view.params,
        "presets": presets(view, utcnow().date()),
        "types": service.interaction_types(session=session, workspace_id=ws, person_id=pid),
        "platforms": sorted({i.platform for i in detail.identities}),
        "notice": _notice(request),
        "merge_platforms": PLATFORMS,
    }
    return render(request, "person.html", context)


@router.post(PEOPLE + "/suggestions/{suggestion_id}")
def decide(
    suggestion_id: str,
    request: Request,
    session: Session,
    user: WriterUser,
    action: Annotated[str, Form(max_length=20)],
    csrf_token: Csrf = "",
    next: Annotated[str, Form(max_length=500)] = PEOPLE,
) -> RedirectResponse:
    """Accept (merge, then show the merged person) or reject a suggestion."""
    check_csrf(request, csrf_token)
    if action not in ("accept", "reject"):
        raise InvalidInput(f"action must be accept or reject, not {action!r}")
    decided = service.decide(
        session=session,
        workspace_id=user.workspace_id,
        suggestion_id=_id(suggestion_id, "suggestion"),
        accept=action == "accept",
        decided_by=f"user:{user.username}",
    )
    if action == "accept":
        return RedirectResponse(f"{PEOPLE}/{decided.person_a_id}?done=merged", status_code=303)
    return RedirectResponse(_with_done(safe_next(next), "rejected"), status_code=303)


@router.post(PEOPLE + "/{person_id}/merge")
def merge(
    person_id: str,
    request: Request,
    session: Session,
    user: WriterUser,
    handle: Annotated[str, Form(max_length=200)] = "",
    platform: Annotated[str, Form(max_length=40)] = "",
    csrf_token: Csrf = "",
) -> RedirectResponse:
    """Merge the person with this handle into this person (a merge by hand)."""
    check_csrf(request, csrf_token)
    pid = _id(person_id, "person")
    service.merge_by_handle(
        session=session,
        workspace_id=user.workspace_id,
        target_person_id=pid,
        handle=handle,
        platform=platform.strip() or None,
        merged_by=f"user:{user.username}",
    )
    return RedirectResponse(f"{PEOPLE}/{pid}?done=merged-by-hand", status_code=303)


@router.post(PEOPLE + "/merges/{merge_id}/undo")
def unmerge(
    merge_id: str, request: Request, session: Session, user: WriterUser, csrf_token: Csrf = ""
) -> RedirectResponse:
    """Undo a merge; back to the person it was made into."""
    check_csrf(request, csrf_token)
    record = service.unmerge(
        session=session,
        workspace_id=user.workspace_id,
        merge_id=_id(merge_id, "merge"),
        unmerged_by=f"user:{user.username}",
    )
    target = record.target_person_id
    return RedirectResponse(f"{PEOPLE}/{target}?done=unmerged", status_code=303)


def _with_done(path: str, done: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}done={done}"
