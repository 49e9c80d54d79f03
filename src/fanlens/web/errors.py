"""Errors on pages answer as HTML pages; the API keeps its JSON error shape.

Installed over the API's handlers: a request for a page path gets the page, any other request
is handed to the API's handler unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from fanlens.api import errors as api_errors
from fanlens.kit.errors import FanlensError
from fanlens.web import sessions
from fanlens.web.auth import LoginRequired, PageUser, login_redirect
from fanlens.web.rendering import render

PAGE_PREFIXES = ("/analytics", "/login", "/logout")
DETAIL_PAGE = re.compile(r"^/analytics/(content|followers)/[^/]+$")
TITLES = {
    400: "Bad request",
    401: "Not logged in",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    422: "Bad request",
    429: "Too many requests",
    503: "Unavailable",
}
Handler = Callable[[Request, Exception], Awaitable[Response]]


def is_page(request: Request) -> bool:
    path = request.url.path
    return path == "/" or path.startswith(PAGE_PREFIXES)


def _page(request: Request, status: int, message: str) -> Response:
    # An id that is not a UUID is a page that does not exist; other bad input is a 400.
    if status == 422:
        status = 404 if DETAIL_PAGE.match(request.url.path) else 400
    web = sessions.load(request)
    user = (
        PageUser(web.user_id, web.workspace_id, web.username, web.csrf)
        if web and web.logged_in and web.user_id and web.workspace_id
        else None
    )  # the nav bar for someone logged in; an error page shows no data, so no DB check
    return render(
        request,
        "error.html",
        {"status": status, "title": TITLES.get(status, "Error"), "message": message, "user": user},
        status_code=status,
    )


def _dispatch(api_handler: Handler) -> Handler:
    async def handler(request: Request, exc: Exception) -> Response:
        if is_page(request):
            return _page(request, _status(exc), _message(exc))
        return await api_handler(request, exc)

    return handler


def _status(exc: Exception) -> int:
    if isinstance(exc, FanlensError):
        return exc.status_code
    if isinstance(exc, StarletteHTTPException):
        return exc.status_code
    return 422


def _message(exc: Exception) -> str:
    if isinstance(exc, FanlensError):
        return exc.message
    if isinstance(exc, StarletteHTTPException):
        return "This page does not exist." if exc.status_code == 404 else str(exc.detail)
    return "The request could not be understood."


async def _database(request: Request, exc: Exception) -> Response:
    if not is_page(request):
        return await api_errors._database(request, exc)
    if not api_errors.database_down(exc):
        raise exc
    page = _page(request, 503, api_errors.UNAVAILABLE_MESSAGE.capitalize() + ".")
    page.headers["Retry-After"] = str(api_errors.RETRY_AFTER_SECONDS)
    return page


async def _login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    return login_redirect(exc.next_url)


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _dispatch(api_errors._validation))
    app.add_exception_handler(FanlensError, _dispatch(api_errors._domain))
    app.add_exception_handler(StarletteHTTPException, _dispatch(api_errors._http))
    app.add_exception_handler(LoginRequired, _login_required)
    for exc_class in api_errors.DATABASE_DOWN:
        app.add_exception_handler(exc_class, _database)
