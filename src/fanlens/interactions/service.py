from __future__ import annotations

import io
import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from fanlens.audience.models import Follower
from fanlens.config import settings
from fanlens.content import repository as content_repository
from fanlens.interactions import repository
from fanlens.interactions.ingest import (
    Batch,
    IngestSummary,
    ingest_records,
    iter_batches,
    store_batch,
)
from fanlens.interactions.keys import dedup_key
from fanlens.interactions.models import FollowerInteraction
from fanlens.kit.errors import InvalidInput
from fanlens.kit.timeutil import utcnow


@dataclass(frozen=True)
class Recorded:
    interaction: FollowerInteraction
    created: bool


def record_interaction(
    *,
    session: Session,
    follower: Follower,
    interaction_type: str,
    external_post_id: str | None = None,
    external_id: str | None = None,
    value: str | None = None,
    occurred_at: datetime | None = None,
    parent_external_id: str | None = None,
) -> Recorded:
    """Store one interaction of a follower, once: recording it again changes nothing.

    This is the one-row path (API callers, tests, small tools). Bulk data goes through
    fanlens.interactions.ingest, which applies the same identity rules set-based.
    """
    if not interaction_type or interaction_type != interaction_type.lower():
        raise InvalidInput(f"interaction_type must be a lowercase name, got {interaction_type!r}")
    key = dedup_key(
        interaction_type=interaction_type,
        external_id=external_id,
        external_post_id=external_post_id,
        external_user_id=follower.external_user_id,
        occurred_at=occurred_at,
    )
    post_id: uuid.UUID | None = None
    content_id: uuid.UUID | None = None
    if external_post_id:
        post = content_repository.get_or_create_placeholder_post(
            session,
            workspace_id=follower.workspace_id,
            platform=follower.platform,
            external_post_id=external_post_id,
        )
        post_id, content_id = post.id, post.content_id
    now = utcnow()
    new_id = repository.insert_if_new(
        session,
        {
            "workspace_id": follower.workspace_id,
            "follower_id": follower.id,
            "content_id": content_id,
            "content_post_id": post_id,
            "platform": follower.platform,
            "interaction_type": interaction_type,
            "interaction_value": value,
            "external_id": external_id,
            "parent_external_id": parent_external_id,
            "occurred_at": occurred_at or now,
            "time_precision": "exact" if occurred_at else "observed",
            "observed_at": now,
            "dedup_key": key,
        },
    )
    stored = repository.get_by_key(
        session, workspace_id=follower.workspace_id, platform=follower.platform, dedup_key=key
    )
    assert stored is not None
    return Recorded(interaction=stored, created=new_id is not None)


def ingest_body(
    *, session: Session, workspace_id: uuid.UUID, body: bytes, as_array: bool
) -> IngestSummary:
    """An API ingest body as one batch, through the same pipeline as `fanlens import`; new
    posts that are cross-posts beyond doubt are linked, as after an import."""
    summary = _ingest_body(session=session, workspace_id=workspace_id, body=body, as_array=as_array)
    if summary.posts_created:
        from fanlens.content.linking import auto_link

        confidence = settings.content_auto_link_confidence
        auto_link(session=session, workspace_id=workspace_id, confidence=confidence)
    return summary


def _ingest_body(
    *, session: Session, workspace_id: uuid.UUID, body: bytes, as_array: bool
) -> IngestSummary:
    if as_array:
        try:
            records = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"body is not valid JSON: {exc}") from exc
        except RecursionError as exc:
            raise InvalidInput("body is not valid JSON: nested too deeply") from exc
        if not isinstance(records, list):
            raise InvalidInput("a JSON body must be an array of interchange records")
        return ingest_records(session, workspace_id=workspace_id, records=records, source="api")
    batches = list(iter_batches(io.BytesIO(body), batch_size=max(1, body.count(b"\n") + 1)))
    batch = batches[0] if batches else Batch()
    return store_batch(session, workspace_id=workspace_id, batch=batch, source="api")
