"""The REST API's routes: each domain's endpoints.py router, added to the app under API_PREFIX.

To add endpoints: write `router = APIRouter(prefix="/things", tags=["things"])` in
fanlens/<domain>/endpoints.py, each endpoint a function of `session` and `principal` under
`@workspace_endpoint` (fanlens.api.dependencies), then list it in ROUTERS below. Every route
inherits the declared error responses (401/403/404/422/503).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

from fanlens.analytics.endpoints import router as analytics_router
from fanlens.api.routing import LeanRoute
from fanlens.api.schemas import API_PREFIX, ERROR_RESPONSES
from fanlens.audience.endpoints import router as followers_router
from fanlens.content.endpoints import router as content_router
from fanlens.interactions.endpoints import router as activity_router
from fanlens.outreach.endpoints import router as outreach_router
from fanlens.people.endpoints import router as people_router
from fanlens.scoring.endpoints import router as scoring_router
from fanlens.sentiment.endpoints import router as sentiment_router

__all__ = ["API_PREFIX", "ROUTERS", "add_routes", "install"]

ROUTERS = (
    content_router,
    followers_router,
    activity_router,
    analytics_router,
    scoring_router,
    sentiment_router,
    people_router,
    outreach_router,
)

# What an APIRoute was declared with, passed on as it is to the route made from it.
_DECLARED = (
    "response_model", "status_code", "tags", "dependencies", "summary", "description",
    "response_description", "deprecated", "methods", "operation_id", "response_model_include",
    "response_model_exclude", "response_model_by_alias", "response_model_exclude_unset",
    "response_model_exclude_defaults", "response_model_exclude_none", "include_in_schema",
    "response_class", "name", "callbacks", "openapi_extra", "generate_unique_id_function",
    "strict_content_type", "max_body_size",
)  # fmt: skip


def install(app: FastAPI) -> None:
    """Every domain's routes, under API_PREFIX with the shared error responses."""
    for router in ROUTERS:
        add_routes(app, router, prefix=API_PREFIX, responses=ERROR_RESPONSES, kind=LeanRoute)


def add_routes(
    app: FastAPI,
    router: APIRouter,
    *,
    prefix: str = "",
    responses: dict[int | str, dict[str, Any]] | None = None,
    kind: type[APIRoute] = APIRoute,
) -> None:
    """Add `router`'s routes to the app itself, as `include_router` would document them.

    FastAPI matches an included router's routes again at every level of inclusion on every
    request, once to choose the route and once to run it; routes of the app's own are matched
    once. Same paths, operations, OpenAPI document and error handling."""
    for route in router.routes:
        assert isinstance(route, APIRoute), f"{route!r}: only API routes are added flat"
        declared = {name: getattr(route, name) for name in _DECLARED}
        app.router.add_api_route(
            prefix + route.path,
            route.endpoint,
            responses={**(responses or {}), **route.responses},
            route_class_override=kind,
            **declared,
        )
