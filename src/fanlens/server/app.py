"""The FastAPI application: the REST API under /api/social-analytics and the dashboard pages."""

from __future__ import annotations

import gc
import hmac
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.routing import APIRoute
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from fanlens import __version__
from fanlens.api import errors
from fanlens.api import router as api_router
from fanlens.api.dependencies import close_live_hubs
from fanlens.api.middleware import BodyLimitMiddleware, RequestContextMiddleware
from fanlens.api.replicas import RecentWriters, WriteMarkMiddleware
from fanlens.api.schemas import error_response
from fanlens.config import settings
from fanlens.connectors.endpoints import router as webhooks_router
from fanlens.db import status as db_status
from fanlens.db.engine import configured_replica, get_engine, session_factory
from fanlens.interactions.endpoints import MAX_INGEST_BYTES
from fanlens.web import router as web


class Health(BaseModel):
    status: str
    database: str
    version: str


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # What the process holds once started (modules, routes, compiled statements, schemas:
    # ~170 000 objects) lives as long as the process. Frozen, Python's full collections stop
    # walking it: unfrozen, the first one after start-up took 150-190 ms, a pause every
    # request in flight waited through.
    gc.collect()
    gc.freeze()
    yield
    close_live_hubs(app)


def create_app(engine: Engine | None = None, replica: Engine | None = None) -> FastAPI:
    """The app; `engine` binds it to one database (tests), else the configured one on first use.
    `replica` (with `engine`; else FANLENS_DATABASE_REPLICA_URL) serves GET and HEAD reads."""
    app = FastAPI(
        title="fanlens",
        version=__version__,
        description="Cross-platform content performance and fan engagement analytics.",
        lifespan=_lifespan,
        # The dashboard serves /docs and /redoc itself, with viewers that need no internet.
        docs_url=None,
        redoc_url=None,
        # Generated clients name their functions after operation ids: the route's own name reads
        # as one (FastAPI's default appends the path and method). The generated-client test
        # keeps them unique and every model to one schema (no "-Input"/"-Output" twins).
        generate_unique_id_function=_operation_id,
        # fanlens's metrics are Prometheus's (/metrics). FastAPI's native OpenTelemetry would
        # look up the global tracer, meter and logger providers on every request to find none.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.session_factory = session_factory(engine) if engine is not None else None
    app.state.engine = engine
    app.state.replica_engine = replica if engine is not None else configured_replica()
    app.state.replica = None  # bound to the primary on the first request
    app.state.recent_writers = RecentWriters()
    errors.install(app)
    app.add_middleware(BodyLimitMiddleware, ingest_limit=MAX_INGEST_BYTES)
    if app.state.replica_engine is not None:  # reads-your-writes marks, only with a replica
        app.add_middleware(WriteMarkMiddleware, writers=app.state.recent_writers)
    app.add_middleware(RequestContextMiddleware)
    api_router.install(app)
    api_router.add_routes(app, webhooks_router)  # signed by the platforms, not behind API tokens
    _ops_routes(app)
    web.install(app)  # after the API: its HTML error pages wrap the API's JSON handlers
    return app


def _operation_id(route: APIRoute) -> str:
    return route.name


def _ops_routes(app: FastAPI) -> None:
    @app.get(
        "/healthz",
        tags=["ops"],
        summary="Liveness and database reachability",
        response_model=Health,
        responses={503: error_response("Database unreachable")},
    )
    def healthz() -> Health | Response:
        try:
            db_status.ping(app.state.engine or get_engine())
        except (SQLAlchemyError, OSError, RuntimeError) as exc:
            retry = {"Retry-After": str(errors.RETRY_AFTER_SECONDS)}
            return errors.error_response(503, "database_unavailable", str(exc), None, retry)
        return Health(status="ok", database="ok", version=__version__)

    @app.get("/metrics", include_in_schema=False)
    def metrics(request: Request) -> Response:
        # Off without FANLENS_METRICS_TOKEN: route names and counts describe the deployment.
        token = settings.metrics_token
        if token is None:
            return errors.error_response(404, "not_found", "Not Found")
        given = request.headers.get("authorization", "")
        expected = f"Bearer {token.get_secret_value()}"
        if not hmac.compare_digest(given.encode(), expected.encode()):
            return errors.error_response(
                401, "unauthorized", "/metrics needs Authorization: Bearer <FANLENS_METRICS_TOKEN>"
            )
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
