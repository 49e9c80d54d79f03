"""Stand-in for fanlens.interactions.ingest until the lead's pipeline is merged.

Row by row through the existing services (slow, but the same identity rules); the sync uses
the real `ingest_records` as soon as it can be imported. Delete this module then.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from fanlens.audience.models import Follower
from fanlens.audience.service import get_or_create_follower
from fanlens.content import repository as content_repository
from fanlens.content.models import ContentPost
from fanlens.interactions.service import record_interaction
from fanlens.kit.timeutil import parse_rfc3339, utcnow

PROFILE_FIELDS = ("username", "display_name", "profile_url", "avatar_url", "follower_count", "bio")


@dataclass
class IngestSummary:
    inserted: int = 0
    duplicates: int = 0
    rejected: Counter[str] = field(default_factory=Counter)


def ingest_records(
    session: Session, *, workspace_id: uuid.UUID, records: list[dict[str, Any]], source: str
) -> IngestSummary:
    summary = IngestSummary()
    for record in records:
        kind = record["type"]
        if kind == "post":
            _post(session, workspace_id, record)
        elif kind == "follower":
            _follower(session, workspace_id, record["platform"], record)
        else:
            who = _follower(session, workspace_id, record["platform"], record["user"])
            occurred = record.get("occurred_at")
            done = record_interaction(
                session=session,
                follower=who,
                interaction_type=record["interaction_type"],
                external_post_id=record.get("external_post_id"),
                external_id=record.get("external_id"),
                value=record.get("text"),
                occurred_at=parse_rfc3339(occurred) if occurred else None,
                parent_external_id=record.get("parent_external_id"),
            )
            if done.created:
                summary.inserted += 1
            else:
                summary.duplicates += 1
    session.flush()
    return summary


def _follower(
    session: Session, workspace_id: uuid.UUID, platform: str, data: dict[str, Any]
) -> Follower:
    profile = {k: data[k] for k in PROFILE_FIELDS if data.get(k) is not None}
    return get_or_create_follower(
        session=session,
        workspace_id=workspace_id,
        platform=platform,
        external_user_id=data["external_user_id"],
        **profile,
    )


def _post(session: Session, workspace_id: uuid.UUID, record: dict[str, Any]) -> None:
    post = content_repository.get_or_create_placeholder_post(
        session,
        workspace_id=workspace_id,
        platform=record["platform"],
        external_post_id=record["external_post_id"],
    )
    metrics = record.get("metrics") or {}
    session.execute(
        update(ContentPost)
        .where(ContentPost.id == post.id)
        .values(
            url=record.get("url"),
            caption=record.get("caption"),
            posted_at=parse_rfc3339(record["posted_at"]) if record.get("posted_at") else None,
            views=metrics.get("views"),
            likes=metrics.get("likes"),
            comments=metrics.get("comments"),
            shares=metrics.get("shares"),
            is_placeholder=False,
            metrics_updated_at=utcnow(),
        )
    )
