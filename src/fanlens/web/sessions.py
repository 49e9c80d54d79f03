"""Signed session cookies and the CSRF token tied to each session.

The cookie holds {"sid", "csrf", and once logged in "key", "uid", "ws", "un"}, signed (and
timestamped) with itsdangerous, so it cannot be forged or extended; it is HttpOnly and
SameSite=Lax. Every visitor gets one before the login form is shown, so even the login form
carries a CSRF token; logging in issues a fresh session (new sid and token), so a token seen
before login is worthless after it. "key" names a row of dashboard_sessions (by its hash): pages
check that row on every request, so logout, a password change or `fanlens user logout-all` end
the session even for a copy of the cookie. "uid", "ws" and "un" only draw error pages' nav bar.
"""

from __future__ import annotations

import hmac
import os
import secrets
import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from fanlens.config import settings

COOKIE = "fanlens_session"
KEY_FILE = "session.key"
SALT = "fanlens.session.v1"


@dataclass(frozen=True)
class WebSession:
    sid: str
    csrf: str
    key: str | None = None  # the server-side session's key, once logged in
    user_id: uuid.UUID | None = None
    workspace_id: uuid.UUID | None = None
    username: str = ""  # for display only; pages check the user in the database

    @property
    def logged_in(self) -> bool:
        return self.key is not None

    def dump(self) -> dict[str, Any]:
        data: dict[str, Any] = {"sid": self.sid, "csrf": self.csrf}
        if self.key and self.user_id and self.workspace_id:
            data |= {
                "key": self.key,
                "uid": str(self.user_id),
                "ws": str(self.workspace_id),
                "un": self.username,
            }
        return data


def new_session(
    key: str | None = None,
    user_id: uuid.UUID | None = None,
    workspace_id: uuid.UUID | None = None,
    username: str = "",
) -> WebSession:
    sid, csrf = secrets.token_urlsafe(16), secrets.token_urlsafe(32)
    return WebSession(sid, csrf, key, user_id, workspace_id, username)


def _key_from_file(path: Path) -> str:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


@lru_cache(maxsize=4)
def _serializer(key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(key, salt=SALT)


def serializer() -> URLSafeTimedSerializer:
    configured = settings.session_secret
    key = (
        configured.get_secret_value()
        if configured
        else _key_from_file(settings.data_dir / KEY_FILE)
    )
    return _serializer(key)


def load(request: Request) -> WebSession | None:
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        data = serializer().loads(raw, max_age=settings.session_max_age)
        return WebSession(
            sid=str(data["sid"]),
            csrf=str(data["csrf"]),
            key=str(data["key"]) if "key" in data else None,
            user_id=uuid.UUID(data["uid"]) if "uid" in data else None,
            workspace_id=uuid.UUID(data["ws"]) if "ws" in data else None,
            username=str(data.get("un", "")),
        )
    except (BadSignature, KeyError, ValueError, TypeError):
        return None


def store(response: Response, session: WebSession) -> None:
    response.set_cookie(
        COOKIE,
        serializer().dumps(session.dump()),
        max_age=settings.session_max_age,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )


def clear(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/")


def csrf_ok(session: WebSession | None, token: str | None) -> bool:
    return bool(session and token) and hmac.compare_digest(session.csrf, str(token))  # type: ignore[union-attr]
