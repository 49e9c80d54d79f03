"""SQL for users and login attempts."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from fanlens.users.models import LoginAttempt, User


def get_by_username(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username)).one_or_none()


def get(session: Session, user_id: uuid.UUID) -> User | None:
    return session.get(User, user_id)


def record_attempt(session: Session, *, username: str, ip: str, succeeded: bool) -> None:
    session.add(LoginAttempt(username=username, ip=ip, succeeded=succeeded))
    session.flush()


def recent_failures(session: Session, *, username: str, ip: str, since: datetime) -> list[datetime]:
    """Times of failed attempts since `since`, oldest first (newer than the last success)."""
    last_success = (
        select(func.max(LoginAttempt.attempted_at))
        .where(
            LoginAttempt.username == username,
            LoginAttempt.ip == ip,
            LoginAttempt.succeeded.is_(True),
        )
        .scalar_subquery()
    )
    stmt = (
        select(LoginAttempt.attempted_at)
        .where(
            LoginAttempt.username == username,
            LoginAttempt.ip == ip,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.attempted_at >= since,
            LoginAttempt.attempted_at > func.coalesce(last_success, since),
        )
        .order_by(LoginAttempt.attempted_at)
    )
    return list(session.scalars(stmt))


def forget_attempts(session: Session, *, username: str, ip: str, before: datetime) -> None:
    """Attempts that left the window count for nothing: drop them (the index finds them)."""
    session.execute(
        delete(LoginAttempt).where(
            LoginAttempt.username == username,
            LoginAttempt.ip == ip,
            LoginAttempt.attempted_at < before,
        )
    )


def touch_login(session: Session, user_id: uuid.UUID) -> None:
    session.execute(update(User).where(User.id == user_id).values(last_login_at=func.now()))


def list_all(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))
