"""Mounts the dashboard on the app: pages, login, static files, HTML errors, headers."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from fanlens.content import pages as content_pages
from fanlens.interactions import pages as live_pages
from fanlens.outreach import pages as outreach_pages
from fanlens.people import pages as people_pages
from fanlens.web import analytics_pages, api_docs, auth, errors, pages
from fanlens.web.rendering import STATIC_DIR
from fanlens.web.security import SecurityHeadersMiddleware


def install(app: FastAPI) -> None:
    errors.install(app)
    app.include_router(auth.router)
    app.include_router(pages.router)
    app.include_router(analytics_pages.router)
    app.include_router(people_pages.router)
    app.include_router(content_pages.router)
    app.include_router(outreach_pages.router)
    app.include_router(live_pages.router)
    app.include_router(api_docs.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(SecurityHeadersMiddleware)
