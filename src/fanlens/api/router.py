"""The REST API's router: each domain's endpoints.py router, mounted under API_PREFIX.

To add endpoints: write `router = APIRouter(prefix="/things", tags=["things"])` in
fanlens/<domain>/endpoints.py, each endpoint a function of `session` and `principal` under
`@workspace_endpoint` (fanlens.api.dependencies), then include it below. Every route inherits
the declared error responses (401/403/404/422).
"""

from __future__ import annotations

from fastapi import APIRouter

from fanlens.analytics.endpoints import router as analytics_router
from fanlens.api.schemas import API_PREFIX, ERROR_RESPONSES
from fanlens.audience.endpoints import router as followers_router
from fanlens.content.endpoints import router as content_router
from fanlens.interactions.endpoints import router as activity_router
from fanlens.outreach.endpoints import router as outreach_router
from fanlens.people.endpoints import router as people_router
from fanlens.scoring.endpoints import router as scoring_router
from fanlens.sentiment.endpoints import router as sentiment_router

__all__ = ["API_PREFIX", "build_api_router"]


def build_api_router() -> APIRouter:
    api = APIRouter(prefix=API_PREFIX, responses=ERROR_RESPONSES)
    api.include_router(content_router)
    api.include_router(followers_router)
    api.include_router(activity_router)
    api.include_router(analytics_router)
    api.include_router(scoring_router)
    api.include_router(sentiment_router)
    api.include_router(people_router)
    api.include_router(outreach_router)
    return api
