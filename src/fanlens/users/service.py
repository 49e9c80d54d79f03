"""Dashboard users: creating them, logging in under a rate limit, and their sessions."""

from __future__ import annotations

import hashlib
import math
import secrets
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
SCOPES = ("read", "write")
# last_seen_at is written at most this often, so most page views stay a single read.
SEEN_EVERY = timedelta(minutes=5)


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
    can_write: bool = False


def normalize(username: str) -> str:
    return username.strip().lstrip("@").lower()


def _check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")


def _check_scope(scope: str) -> None:
    if scope not in SCOPES:
        raise InvalidInput(f"scope must be read or write, not {scope!r}")


def create(
    *, session: Session, workspace_id: uuid.UUID, username: str, password: str, scope: str = "write"
) -> User:
    name = normalize(username)
    if not name or len(name) > 100:
        raise InvalidInput("a username needs 1 to 100 characters")
    _check_password_rules(password)
    _check_scope(scope)
    if repository.get_by_username(session, name) is not None:
        raise Conflict(f"user {name!r} already exists")
    user = User(
        workspace_id=workspace_id,
        username=name,
        password_hash=hash_password(password),
        scope=scope,
    )
    session.add(user)
    session.flush()
    return user


def get_or_raise(*, session: Session, user_id: uuid.UUID) -> User:
    user = repository.get(session, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user


def get_by_username_or_raise(*, session: Session, username: str) -> User:
    user = repository.get_by_username(session, normalize(username))
    if user is None:
        raise NotFound(f"no user {normalize(username)!r} (see `fanlens user list`)")
    return user


def count_login_check(*, session: Session, username: str, ip: str) -> None:
    """Count one password check for (username, ip); refuse it when the window's checks are
    used up. The caller commits this before checking the password, so concurrent requests
    (any process) see each other's counts and no lock is held while the hash is computed."""
    window = timedelta(seconds=settings.login_window_seconds)
    repository.forget_stale_checks(session, window=window)
    checks, started = repository.count_check(
        session, username=normalize(username)[:100], ip=ip, window=window
    )
    if checks > settings.login_max_attempts:
        wait = max(1, math.ceil((started + window - utcnow()).total_seconds()))
        raise TooManyAttempts(
            f"too many failed logins; try again in {wait} seconds", retry_after=wait
        )


def login(*, session: Session, username: str, password: str, ip: str) -> LoggedIn:
    """Check a password already counted by `count_login_check`; a success clears the count."""
    name = normalize(username)[:100]
    user = repository.get_by_username(session, name) if name else None
    ok = verify_password(password, user.password_hash if user else DUMMY_HASH) and user is not None
    if not ok or user is None:
        raise Unauthorized("wrong username or password")
    repository.forget_checks(session, username=name, ip=ip)
    repository.touch_login(session, user.id)
    return _logged_in(user)


def _logged_in(user: User) -> LoggedIn:
    return LoggedIn(user.id, user.workspace_id, user.username, can_write=user.scope == "write")


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start_session(*, session: Session, user_id: uuid.UUID) -> str:
    """A new dashboard session; returns its key (for the cookie; only its hash is stored)."""
    repository.end_expired_sessions(session, user_id)
    key = secrets.token_urlsafe(32)
    expires = utcnow() + timedelta(seconds=settings.session_max_age)
    repository.add_session(session, user_id=user_id, key_hash=_key_hash(key), expires_at=expires)
    return key


def session_user(*, session: Session, key: str) -> LoggedIn | None:
    """The user of a live session, or None once it was ended or expired."""
    found = repository.session_user(session, _key_hash(key))
    if found is None:
        return None
    user, row = found
    if row.last_seen_at < utcnow() - SEEN_EVERY:
        repository.touch_session(session, row.id)
    return _logged_in(user)


def end_session(*, session: Session, key: str) -> None:
    repository.end_session(session, _key_hash(key))


def logout_all(*, session: Session, username: str) -> int:
    """End every dashboard session of a user; returns how many there were."""
    user = get_by_username_or_raise(session=session, username=username)
    return repository.end_sessions(session, user.id)


def set_scope(*, session: Session, username: str, scope: str) -> User:
    """Takes effect on the user's next page: every page reads the user's row."""
    user = get_by_username_or_raise(session=session, username=username)
    _check_scope(scope)
    user.scope = scope
    session.flush()
    return user


def set_password(*, session: Session, username: str, password: str) -> User:
    """A new password ends every session of the user: a stolen cookie dies with the old one."""
    user = get_by_username_or_raise(session=session, username=username)
    _check_password_rules(password)
    repository.set_password_hash(session, user.id, hash_password(password))
    repository.end_sessions(session, user.id)
    return user
