"""The FastAPI application: the REST API under /api/social-analytics and the dashboard pages."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text

from fanlens import __version__
from fanlens.db.engine import get_engine


def create_app() -> FastAPI:
    app = FastAPI(
        title="fanlens",
        version=__version__,
        description="Cross-platform content performance and fan engagement analytics.",
    )

    @app.get("/healthz", tags=["ops"], summary="Liveness and database reachability")
    def healthz() -> JSONResponse:
        try:
            with get_engine().connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:  # any failure to reach PostgreSQL means unhealthy
            return JSONResponse({"status": "error", "database": str(exc)}, status_code=503)
        return JSONResponse({"status": "ok", "database": "ok", "version": __version__})

    return app
