"""The Live page: the newest interactions, growing as new ones are stored, and its event stream
for the logged-in session (the same stream as `GET live`, without a token)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from fanlens.api.dependencies import Session, live_hub
from fanlens.interactions import activity
from fanlens.interactions.endpoints import live_response
from fanlens.interactions.repository import ActivityFilters
from fanlens.web.auth import CurrentUser
from fanlens.web.rendering import render

router = APIRouter(include_in_schema=False)
NEWEST = 50


@router.get("/analytics/live", response_class=HTMLResponse)
def live_page(request: Request, session: Session, user: CurrentUser) -> HTMLResponse:
    newest = activity.newest(
        session=session, workspace_id=user.workspace_id, filters=ActivityFilters(), limit=NEWEST
    )
    return render(request, "live.html", {"user": user, "active": "live", "items": newest.items})


@router.get("/analytics/live/events")
async def live_page_events(request: Request, user: CurrentUser) -> StreamingResponse:
    """The page's EventSource. The session is read when the stream opens (a logged-out browser
    gets the login redirect, which EventSource takes as an error and stops)."""
    last = request.headers.get("last-event-id", "")[:100].replace("\x00", "") or None
    return await live_response(live_hub(request), user.workspace_id, last, None)
