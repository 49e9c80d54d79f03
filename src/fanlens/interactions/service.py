from __future__ import annotations

import io
import json
import uuid

from sqlalchemy.orm import Session

from fanlens.config import settings
from fanlens.interactions.ingest import (
    Batch,
    IngestSummary,
    ingest_records,
    iter_batches,
    store_batch,
)
from fanlens.kit.errors import InvalidInput


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
