from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from fanlens.auth.models import ApiToken
from fanlens.db.engine import on_replica
from fanlens.kit.sql import DriverStatement

# One round trip per request: find the live token and stamp it used. last_used_at is a hint for
# humans, not an audit log: it is written at most once a minute per token, so a busy client
# does not turn every read into a row update.
# A data-modifying CTE always runs, whether or not the outer query reads it.
_AUTHENTICATE = DriverStatement(
    text("""
WITH token AS (
    SELECT id, workspace_id, scope, last_used_at FROM api_tokens
    WHERE token_hash = :token_hash AND revoked_at IS NULL
), touched AS (
    UPDATE api_tokens t SET last_used_at = now()
    FROM token
    WHERE t.id = token.id
      AND (token.last_used_at IS NULL OR token.last_used_at < now() - interval '60 seconds')
)
SELECT id, workspace_id, scope FROM token
""")
)


# The same on a read replica, which refuses the CTE's UPDATE: the stamp, when due, is a
# statement of its own that the replica session sends to the primary.
_AUTHENTICATE_ON_REPLICA = DriverStatement(
    text("""
SELECT id, workspace_id, scope,
       (last_used_at IS NULL OR last_used_at < now() - interval '60 seconds') AS stale
FROM api_tokens
WHERE token_hash = :token_hash AND revoked_at IS NULL
""")
)


def authenticate(session: Session, token_hash: str) -> dict[str, Any] | None:
    """{id, workspace_id, scope} of the live token with this hash, marking it used. Every API
    request runs this, hence the driver statement."""
    if on_replica(session):
        return _authenticate_on_replica(session, token_hash)
    rows = _AUTHENTICATE.rows(session, token_hash=token_hash)
    return rows[0] if rows else None


def _authenticate_on_replica(session: Session, token_hash: str) -> dict[str, Any] | None:
    rows = _AUTHENTICATE_ON_REPLICA.rows(session, token_hash=token_hash)
    if not rows:
        return None
    token = rows[0]
    if token.pop("stale"):
        session.execute(
            update(ApiToken).where(ApiToken.id == token["id"]).values(last_used_at=func.now())
        )
    return token


def get(session: Session, token_id: uuid.UUID) -> ApiToken | None:
    return session.get(ApiToken, token_id)


def list_all(session: Session, workspace_id: uuid.UUID | None = None) -> list[ApiToken]:
    stmt = select(ApiToken).order_by(ApiToken.created_at, ApiToken.id)
    if workspace_id is not None:
        stmt = stmt.where(ApiToken.workspace_id == workspace_id)
    return list(session.scalars(stmt))
