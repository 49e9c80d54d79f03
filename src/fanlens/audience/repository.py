from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from fanlens.audience.models import Follower

PROFILE_FIELDS = (
    "username",
    "display_name",
    "profile_url",
    "avatar_url",
    "follower_count",
    "bio",
    "verified",
)


def upsert(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    platform: str,
    external_user_id: str,
    profile: dict[str, Any],
) -> uuid.UUID:
    """Insert the identity or refresh the profile fields given; returns the follower id."""
    values = {k: v for k, v in profile.items() if k in PROFILE_FIELDS and v is not None}
    stmt = insert(Follower).values(
        workspace_id=workspace_id, platform=platform, external_user_id=external_user_id, **values
    )
    upsert_stmt = stmt.on_conflict_do_update(
        index_elements=["workspace_id", "platform", "external_user_id"],
        set_={k: stmt.excluded[k] for k in values} or {"platform": stmt.excluded.platform},
    ).returning(Follower.id)
    return session.execute(upsert_stmt).scalar_one()


def get(session: Session, *, workspace_id: uuid.UUID, follower_id: uuid.UUID) -> Follower | None:
    return session.scalars(
        select(Follower).where(Follower.workspace_id == workspace_id, Follower.id == follower_id)
    ).one_or_none()
