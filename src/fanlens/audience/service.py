from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from fanlens.audience import repository
from fanlens.audience.models import Follower
from fanlens.kit.errors import InvalidInput, NotFound


def get_or_create_follower(
    *,
    session: Session,
    workspace_id: uuid.UUID,
    platform: str,
    external_user_id: str,
    **profile: Any,
) -> Follower:
    """The follower for this platform identity, created if new; profile fields given refresh it."""
    if not platform or not external_user_id:
        raise InvalidInput("a follower needs a platform and an external_user_id")
    follower_id = repository.upsert(
        session,
        workspace_id=workspace_id,
        platform=platform.lower(),
        external_user_id=str(external_user_id),
        profile=profile,
    )
    follower = repository.get(session, workspace_id=workspace_id, follower_id=follower_id)
    assert follower is not None
    session.refresh(follower)
    return follower


def get_or_raise(*, session: Session, workspace_id: uuid.UUID, follower_id: uuid.UUID) -> Follower:
    follower = repository.get(session, workspace_id=workspace_id, follower_id=follower_id)
    if follower is None:
        raise NotFound(f"no follower {follower_id} in this workspace")
    return follower
