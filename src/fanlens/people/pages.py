"""The people pages: the cross-platform leaderboard, suggestions, and one person."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from fanlens.api.dependencies import Session
from fanlens.kit.errors import NotFound
from fanlens.people import service
from fanlens.web.auth import CurrentUser
from fanlens.web.rendering import render

router = APIRouter(include_in_schema=False)
TOP_N = 25


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
            "suggestions": service.suggestions(session=session, workspace_id=ws, limit=50),
        },
    )


@router.get("/analytics/people/{person_id}", response_class=HTMLResponse)
def person(person_id: str, request: Request, session: Session, user: CurrentUser) -> HTMLResponse:
    try:
        pid = uuid.UUID(person_id)
    except ValueError as exc:
        raise NotFound(f"no person {person_id!r}") from exc
    detail = service.detail(session=session, workspace_id=user.workspace_id, person_id=pid)
    return render(request, "person.html", {"user": user, "active": "people", "p": detail})
