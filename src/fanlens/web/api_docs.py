"""The interactive API docs, /docs (Swagger UI) and /redoc (ReDoc), built by FastAPI's own page
functions, with the viewers served by fanlens from the installed `fastapi-offline` package, so
both pages work without internet (FastAPI's defaults load them from a CDN)."""

from __future__ import annotations

import base64
import hashlib
import re
from importlib import resources
from pathlib import Path

from fastapi import APIRouter
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

from fanlens.kit.errors import NotFound

router = APIRouter(include_in_schema=False)
OPENAPI_URL = "/openapi.json"
TITLE = "fanlens API"
VENDOR = "/static/vendor"
# The package's files on disk (an installed wheel is a plain directory).
VIEWERS = Path(str(resources.files("fastapi_offline").joinpath("static")))
VIEWER_FILES = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "redoc.standalone.js": "text/javascript",
    "favicon.png": "image/png",
}
SWAGGER_PAGE = bytes(
    get_swagger_ui_html(
        openapi_url=OPENAPI_URL,
        title=TITLE,
        swagger_js_url=f"{VENDOR}/swagger-ui-bundle.js",
        swagger_css_url=f"{VENDOR}/swagger-ui.css",
        swagger_favicon_url=f"{VENDOR}/favicon.png",
    ).body
)
REDOC_PAGE = bytes(
    get_redoc_html(
        openapi_url=OPENAPI_URL,
        title=TITLE,
        redoc_js_url=f"{VENDOR}/redoc.standalone.js",
        redoc_favicon_url=f"{VENDOR}/favicon.png",
        with_google_fonts=False,
    ).body
)


def _inline_script_hash(page: bytes) -> str:
    """The CSP source for the page's one inline script (Swagger UI's start-up call), so the
    docs' policy allows that script and no other."""
    found = re.search(rb"<script>(.*?)</script>", page, re.DOTALL)
    assert found is not None, "Swagger UI's page has no inline start-up script"
    return "'sha256-" + base64.b64encode(hashlib.sha256(found.group(1)).digest()).decode() + "'"


SWAGGER_INIT_SOURCE = _inline_script_hash(SWAGGER_PAGE)


@router.get("/docs")
def swagger_ui() -> HTMLResponse:
    return HTMLResponse(SWAGGER_PAGE)


@router.get("/redoc")
def redoc() -> HTMLResponse:
    return HTMLResponse(REDOC_PAGE)


@router.get(VENDOR + "/{name}")
def viewer_file(name: str) -> FileResponse:
    """Swagger UI's and ReDoc's bundles and the docs' icon (the chart library has its own route
    in pages.py, matched first)."""
    media_type = VIEWER_FILES.get(name)
    if media_type is None:
        raise NotFound(f"no file {name!r}")
    return FileResponse(
        VIEWERS / name, media_type=media_type, headers={"Cache-Control": "public, max-age=86400"}
    )
