from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from fanlens.interactions.models import FollowerInteraction


def insert_if_new(session: Session, values: dict[str, Any]) -> uuid.UUID | None:
    """Insert one interaction; None when the same interaction is already stored."""
    stmt = (
        insert(FollowerInteraction)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["workspace_id", "platform", "dedup_key"])
        .returning(FollowerInteraction.id)
    )
    return session.execute(stmt).scalar_one_or_none()


def get_by_key(
    session: Session, *, workspace_id: uuid.UUID, platform: str, dedup_key: uuid.UUID
) -> FollowerInteraction | None:
    return session.scalars(
        select(FollowerInteraction).where(
            FollowerInteraction.workspace_id == workspace_id,
            FollowerInteraction.platform == platform,
            FollowerInteraction.dedup_key == dedup_key,
        )
    ).one_or_none()
