"""SQL for users, their dashboard sessions and the login throttle."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from fanlens.users.models import DashboardSession, LoginThrottle, User


def get_by_username(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username)).one_or_none()


def get(session: Session, user_id: uuid.UUID) -> User | None:
    return session.get(User, user_id)


def count_check(
    session: Session, *, username: str, ip: str, window: timedelta
) -> tuple[int, datetime]:
    """One more password check for (username, ip): the checks counted in the current window,
    this one included, and when the window started. A single statement: concurrent requests
    queue on the row's lock, and each reads the count the one before it left."""
    old = LoginThrottle.__table__.c
    stale = old.window_started_at <= func.now() - window
    stmt = (
        insert(LoginThrottle)
        .values(username=username, ip=ip, window_started_at=func.now(), checks=1)
        .on_conflict_do_update(
            index_elements=["username", "ip"],
            set_={
                "checks": case((stale, 1), else_=old.checks + 1),
                "window_started_at": case((stale, func.now()), else_=old.window_started_at),
            },
        )
        .returning(LoginThrottle.checks, LoginThrottle.window_started_at)
    )
    checks, started = session.execute(stmt).one()
    return int(checks), started


def forget_stale_checks(session: Session, *, window: timedelta) -> None:
    """Counts whose window has ended are worth nothing: drop them, so guessing many usernames
    leaves no lasting rows (the index on window_started_at finds them). Rows another login
    holds are skipped: concurrent clean-ups never wait on, or deadlock with, each other."""
    stale = (
        select(LoginThrottle.id)
        .where(LoginThrottle.window_started_at <= func.now() - window)
        .with_for_update(skip_locked=True)
    )
    session.execute(delete(LoginThrottle).where(LoginThrottle.id.in_(stale)))


def forget_checks(session: Session, *, username: str, ip: str) -> None:
    session.execute(
        delete(LoginThrottle).where(LoginThrottle.username == username, LoginThrottle.ip == ip)
    )


def touch_login(session: Session, user_id: uuid.UUID) -> None:
    session.execute(update(User).where(User.id == user_id).values(last_login_at=func.now()))


def set_password_hash(session: Session, user_id: uuid.UUID, password_hash: str) -> None:
    session.execute(
        update(User)
        .where(User.id == user_id)
        .values(password_hash=password_hash, updated_at=func.now())
    )


def list_all(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def add_session(
    session: Session, *, user_id: uuid.UUID, key_hash: str, expires_at: datetime
) -> None:
    session.add(DashboardSession(user_id=user_id, key_hash=key_hash, expires_at=expires_at))
    session.flush()


def session_user(session: Session, key_hash: str) -> tuple[User, DashboardSession] | None:
    """The user of a live session (one lookup by the unique index on key_hash)."""
    stmt = (
        select(User, DashboardSession)
        .join(DashboardSession, DashboardSession.user_id == User.id)
        .where(DashboardSession.key_hash == key_hash, DashboardSession.expires_at > func.now())
    )
    row = session.execute(stmt).one_or_none()
    return (row[0], row[1]) if row else None


def touch_session(session: Session, session_id: uuid.UUID) -> None:
    session.execute(
        update(DashboardSession)
        .where(DashboardSession.id == session_id)
        .values(last_seen_at=func.now())
    )


def end_session(session: Session, key_hash: str) -> None:
    session.execute(delete(DashboardSession).where(DashboardSession.key_hash == key_hash))


def end_sessions(session: Session, user_id: uuid.UUID) -> int:
    """Every session of the user, plus nothing else; returns how many were live or expired."""
    result = session.execute(delete(DashboardSession).where(DashboardSession.user_id == user_id))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def end_expired_sessions(session: Session, user_id: uuid.UUID) -> None:
    session.execute(
        delete(DashboardSession).where(
            DashboardSession.user_id == user_id, DashboardSession.expires_at <= func.now()
        )
    )
