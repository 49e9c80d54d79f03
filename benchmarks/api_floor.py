"""The API benchmark's floor (`benchmarks.api --floor`): the unmet goals' own service calls
behind a bare Starlette app, without FastAPI.

Each route authenticates the bearer token and runs the same service function in one worker-
thread hop as the real endpoint (`in_one_hop`), then writes the same JSON with the response
model's serializer. What FastAPI adds (routing, parameter validation, dependencies, response
validation) is gone, so the figures bound what any change to the web layer alone can win.
Parameters are not validated here: only the benchmark's own requests are served.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from fastapi.security import HTTPAuthorizationCredentials
from pydantic import TypeAdapter
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fanlens.api.dependencies import in_one_hop
from fanlens.audience import service as audience
from fanlens.audience.schemas import FollowerDetail, Leaderboard
from fanlens.auth.service import Principal
from fanlens.content import service as content
from fanlens.content.schemas import ContentDetail
from fanlens.interactions import activity
from fanlens.interactions.repository import ActivityFilters
from fanlens.interactions.schemas import ActivityItem
from fanlens.kit.pagination import Page

_LEADERBOARD = TypeAdapter(Leaderboard)
_DETAIL = TypeAdapter(FollowerDetail)
_ACTIVITY = TypeAdapter(Page[ActivityItem])
_CONTENT = TypeAdapter(ContentDetail)

Work = Callable[[Session, Principal], object]


def _credentials(request: Request) -> HTTPAuthorizationCredentials | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return HTTPAuthorizationCredentials(scheme=scheme, credentials=token) if token else None


async def _answer(request: Request, adapter: TypeAdapter[Any], work: Work) -> Response:
    """`work` run as the real endpoints run it (token check, one thread hop, one commit), its
    result written as JSON by the response model's serializer."""
    result = await in_one_hop(request, _credentials(request), work)
    return Response(adapter.dump_json(result), media_type="application/json")


async def leaderboard(request: Request) -> Response:
    limit = int(request.query_params.get("limit", 10))
    return await _answer(
        request,
        _LEADERBOARD,
        lambda session, principal: audience.leaderboard(
            session=session, workspace_id=principal.workspace_id, platform=None, limit=limit
        ),
    )


async def follower_detail(request: Request) -> Response:
    follower_id = uuid.UUID(request.path_params["follower_id"])
    return await _answer(
        request,
        _DETAIL,
        lambda session, principal: audience.get_detail(
            session=session,
            workspace_id=principal.workspace_id,
            follower_id=follower_id,
            activity_cursor=None,
            activity_limit=50,
        ),
    )


async def activity_page(request: Request) -> Response:
    filters = ActivityFilters(
        username=request.query_params.get("username"),
        platform=None,
        interaction_type=request.query_params.get("type"),
        since=None,
        until=None,
    )

    def work(session: Session, principal: Principal) -> Page[ActivityItem]:
        return activity.newest(
            session=session, workspace_id=principal.workspace_id, filters=filters, limit=50
        )

    return await _answer(request, _ACTIVITY, work)


async def content_detail(request: Request) -> Response:
    content_id = uuid.UUID(request.path_params["content_id"])
    return await _answer(
        request,
        _CONTENT,
        lambda session, principal: content.get_detail(
            session=session, workspace_id=principal.workspace_id, content_id=content_id
        ),
    )


async def healthz(request: Request) -> Response:
    return Response(b'{"status":"ok"}', media_type="application/json")


def create_app() -> Starlette:
    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/api/social-analytics/followers/leaderboard", leaderboard),
            Route("/api/social-analytics/followers/{follower_id}", follower_detail),
            Route("/api/social-analytics/activity", activity_page),
            Route("/api/social-analytics/content/{content_id}", content_detail),
        ]
    )
    app.state.session_factory = None  # bound to the configured database on first use
    return app
