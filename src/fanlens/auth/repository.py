from __future__ import annotations

import uuid

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from fanlens.auth.models import ApiToken

# last_used_at is a hint for humans, not an audit log: write it at most once a minute per token,
# so a busy client does not turn every read into a row update.
LAST_USED_RESOLUTION = text("interval '60 seconds'")


def get_active_by_hash(session: Session, token_hash: str) -> ApiToken | None:
    return session.scalars(
        select(ApiToken).where(ApiToken.token_hash == token_hash, ApiToken.revoked_at.is_(None))
    ).one_or_none()


def touch(session: Session, token_id: uuid.UUID) -> None:
    session.execute(
        update(ApiToken)
        .where(
            ApiToken.id == token_id,
            (ApiToken.last_used_at.is_(None))
            | (ApiToken.last_used_at < func.now() - LAST_USED_RESOLUTION),
        )
        .values(last_used_at=func.now())
    )


def get(session: Session, token_id: uuid.UUID) -> ApiToken | None:
    return session.get(ApiToken, token_id)


def list_all(session: Session, workspace_id: uuid.UUID | None = None) -> list[ApiToken]:
    stmt = select(ApiToken).order_by(ApiToken.created_at, ApiToken.id)
    if workspace_id is not None:
        stmt = stmt.where(ApiToken.workspace_id == workspace_id)
    return list(session.scalars(stmt))
