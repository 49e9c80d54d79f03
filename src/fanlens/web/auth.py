"""Dashboard login: the logged-in user of a page, the login and logout forms, CSRF checks."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from fanlens.api.dependencies import Session, session_factory_of
from fanlens.db.engine import committed
from fanlens.kit.errors import Forbidden, Unauthorized
from fanlens.users import service as users
from fanlens.web import sessions
from fanlens.web.rendering import render

router = APIRouter(include_in_schema=False)


class LoginRequired(Exception):
    """Raised by a page when nobody is logged in; answered with a redirect to /login."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


@dataclass(frozen=True)
class PageUser:
    user_id: uuid.UUID
    workspace_id: uuid.UUID
    username: str
    csrf: str
    can_write: bool = False  # the user's scope is write: the pages show them their buttons


def current_user(request: Request, session: Session) -> PageUser:
    web = sessions.load(request)
    if web is None or web.key is None:
        raise LoginRequired(_here(request))
    who = users.session_user(session=session, key=web.key)
    if who is None:  # logged out, password changed, logout-all, expired or user deleted
        raise LoginRequired(_here(request))
    return PageUser(who.user_id, who.workspace_id, who.username, web.csrf, who.can_write)


CurrentUser = Annotated[PageUser, Depends(current_user)]


def writer(user: CurrentUser) -> PageUser:
    """A user who may change data from the pages. Read users see no buttons; a form sent by
    one all the same is refused here, before anything changes."""
    if not user.can_write:
        raise Forbidden(
            f"{user.username} has read access: this workspace can be looked at, not changed "
            f"(an administrator grants write access with `fanlens user scope {user.username} "
            "write`)"
        )
    return user


WriterUser = Annotated[PageUser, Depends(writer)]


def check_csrf(request: Request, token: str) -> None:
    """A page form's token must be the one of this browser's session."""
    if not sessions.csrf_ok(sessions.load(request), token):
        raise Forbidden("the form expired; reload the page and try again")


def _here(request: Request) -> str:
    query = f"?{request.url.query}" if request.url.query else ""
    return request.url.path + query


def safe_next(value: str | None) -> str:
    """Only same-site paths: an open redirect would make the login form a phishing tool."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/analytics"


def _login_page(
    request: Request, web: sessions.WebSession, next_url: str, *, error: str | None = None,
    status_code: int = 200, headers: dict[str, str] | None = None, username: str = "",
) -> HTMLResponse:  # fmt: skip
    response = render(
        request,
        "login.html",
        {"csrf": web.csrf, "next": next_url, "error": error, "username": username},
        status_code=status_code,
        headers=headers,
    )
    sessions.store(response, web)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, session: Session, next: str | None = None) -> Response:
    web = sessions.load(request)
    if web is not None and web.key is not None:
        if users.session_user(session=session, key=web.key) is not None:
            return RedirectResponse(safe_next(next), status_code=303)
        web = None  # an ended session: start over, or /analytics and /login would loop
    return _login_page(request, web or sessions.new_session(), safe_next(next))


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    session: Session,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/analytics",
) -> Response:
    web = sessions.load(request)
    if web is None or not sessions.csrf_ok(web, csrf_token):
        fresh = sessions.new_session()
        return _login_page(
            request, fresh, safe_next(next), error="The form expired. Please try again.",
            status_code=403,
        )  # fmt: skip
    # The client address is the socket's, or the forwarded one when FANLENS_TRUSTED_PROXIES
    # names the peer (uvicorn is configured so by `fanlens serve`).
    ip = request.client.host if request.client else "unknown"
    try:
        # Counted and committed before the password is checked: concurrent guesses, in any
        # process, each take one of the window's checks.
        with committed(session_factory_of(request)) as counting:
            users.count_login_check(session=counting, username=username, ip=ip)
        who = users.login(session=session, username=username, password=password, ip=ip)
    except users.TooManyAttempts as exc:
        return _login_page(
            request, web, safe_next(next), error=exc.message, status_code=429,
            headers={"Retry-After": str(exc.retry_after)}, username=username,
        )  # fmt: skip
    except Unauthorized as exc:
        return _login_page(
            request, web, safe_next(next), error=exc.message, status_code=401, username=username
        )
    key = users.start_session(session=session, user_id=who.user_id)
    response = RedirectResponse(safe_next(next), status_code=303)
    sessions.store(response, sessions.new_session(key, who.user_id, who.workspace_id, who.username))
    return response


@router.post("/logout")
def logout(
    request: Request, session: Session, csrf_token: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    web = sessions.load(request)
    if web is None or not sessions.csrf_ok(web, csrf_token):
        raise Forbidden("the form expired; reload the page and try again")
    if web.key is not None:  # the row goes: a copy of this cookie opens nothing any more
        users.end_session(session=session, key=web.key)
    response = RedirectResponse("/login", status_code=303)
    sessions.store(response, sessions.new_session())
    return response


def login_redirect(next_url: str) -> RedirectResponse:
    return RedirectResponse(f"/login?next={quote(next_url, safe='/')}", status_code=303)
