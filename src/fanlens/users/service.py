"""Dashboard users: creating them, and logging in with a rate limit per username and address."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from fanlens.config import settings
from fanlens.kit.errors import Conflict, FanlensError, InvalidInput, NotFound, Unauthorized
from fanlens.kit.timeutil import utcnow
from fanlens.users import repository
from fanlens.users.models import User
from fanlens.users.passwords import DUMMY_HASH, hash_password, verify_password

MIN_PASSWORD_LENGTH = 8


class TooManyAttempts(FanlensError):
    status_code = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, details={"retry_after": retry_after})
        self.retry_after = retry_after


@dataclass(frozen=True)
class LoggedIn:
    user_id: uuid.UUID
    workspace_id: uuid.UUID
    username: str


def normalize(username: str) -> str:
    return username.strip().lstrip("@").lower()


def create(*, session: Session, workspace_id: uuid.UUID, username: str, password: str) -> User:
    name = normalize(username)
    if not name or len(name) > 100:
        raise InvalidInput("a username needs 1 to 100 characters")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if repository.get_by_username(session, name) is not None:
        raise Conflict(f"user {name!r} already exists")
    user = User(workspace_id=workspace_id, username=name, password_hash=hash_password(password))
    session.add(user)
    session.flush()
    return user


def get_or_raise(*, session: Session, user_id: uuid.UUID) -> User:
    user = repository.get(session, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user


def _check_rate_limit(session: Session, username: str, ip: str) -> None:
    window = timedelta(seconds=settings.login_window_seconds)
    now = utcnow()
    repository.forget_attempts(session, username=username, ip=ip, before=now - window)
    failures = repository.recent_failures(session, username=username, ip=ip, since=now - window)
    if len(failures) >= settings.login_max_attempts:
        # The oldest failure that still counts leaves the window first.
        oldest = failures[-settings.login_max_attempts]
        wait = max(1, math.ceil((oldest + window - now).total_seconds()))
        raise TooManyAttempts(
            f"too many failed logins; try again in {wait} seconds", retry_after=wait
        )


def login(*, session: Session, username: str, password: str, ip: str) -> LoggedIn:
    """Check a password. Every attempt is recorded (the caller commits even on failure) and
    more than `login_max_attempts` failures per username and address in the window lock out."""
    name = normalize(username)[:100]
    _check_rate_limit(session, name, ip)
    user = repository.get_by_username(session, name) if name else None
    ok = verify_password(password, user.password_hash if user else DUMMY_HASH) and user is not None
    repository.record_attempt(session, username=name, ip=ip, succeeded=ok)
    if not ok or user is None:
        raise Unauthorized("wrong username or password")
    repository.touch_login(session, user.id)
    return LoggedIn(user_id=user.id, workspace_id=user.workspace_id, username=user.username)
