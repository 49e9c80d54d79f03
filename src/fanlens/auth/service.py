from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from fanlens.auth import repository
from fanlens.auth.models import ApiToken
from fanlens.kit.errors import InvalidInput, NotFound, Unauthorized
from fanlens.kit.timeutil import utcnow

SCOPES = ("read", "write")
TOKEN_PREFIX = "fl_"


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown once; only its hash is stored


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token and the one workspace every query of the request is scoped to."""

    token_id: uuid.UUID
    workspace_id: uuid.UUID
    scope: str

    @property
    def can_write(self) -> bool:
        return self.scope == "write"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create(*, session: Session, workspace_id: uuid.UUID, name: str, scope: str) -> IssuedToken:
    if scope not in SCOPES:
        raise InvalidInput(f"scope must be one of {', '.join(SCOPES)}, got {scope!r}")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        workspace_id=workspace_id,
        name=name.strip() or "token",
        scope=scope,
        token_hash=hash_secret(secret),
        token_prefix=secret[:10],
    )
    session.add(token)
    session.flush()
    return IssuedToken(token=token, secret=secret)


def authenticate(*, session: Session, secret: str) -> Principal:
    token = repository.authenticate(session, hash_secret(secret))
    if token is None:
        raise Unauthorized("invalid or revoked API token")
    return Principal(token_id=token["id"], workspace_id=token["workspace_id"], scope=token["scope"])


def revoke(*, session: Session, token_id: uuid.UUID) -> ApiToken:
    token = repository.get(session, token_id)
    if token is None:
        raise NotFound(f"no API token {token_id}")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.flush()
    return token
