"""Edited and deleted interactions, for the live sources (streams, webhooks) to call.

A delete removes the stored interaction, so every derived row ends where it would be had the
interaction never been stored, and leaves a tombstone (interaction_changes) that keeps any later
copy of it (a poll, the stream again, a re-import) out. An edit replaces the text, which sends
the comment back to sentiment analysis. Either may arrive before the interaction itself: it is
recorded and applied when the interaction is stored.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from fanlens.interactions.ingest import Batch, IngestSummary, store_batch
from fanlens.interactions.interchange import Invalid, Reject, parse_change
from fanlens.kit.errors import InvalidInput

MAX_CHANGES = 1_000  # per call: a live source's micro-batch, never a backfill


def apply(
    *,
    session: Session,
    workspace_id: uuid.UUID,
    changes: Sequence[dict[str, Any]],
    source: str = "changes",
) -> IngestSummary:
    """Apply edits and deletes given as interchange interaction objects (README "Edits and
    deletes"): `"deleted": true`, or `edited_at` with the new `text`. One batch in the caller's
    transaction (flushes, never commits); a bad change is rejected with its position and reason
    (kept in ingest_rejects under `source`) while the others apply."""
    if len(changes) > MAX_CHANGES:
        raise InvalidInput(f"{len(changes):,} changes in one call; at most {MAX_CHANGES:,}")
    batch = Batch()
    for number, obj in enumerate(changes, start=1):
        batch.lines += 1
        try:
            batch.add(parse_change(obj, number))
        except Invalid as exc:
            raw = json.dumps(obj, ensure_ascii=False, default=str)
            batch.add(Reject(number, exc.reason, exc.message, raw))
    return store_batch(session, workspace_id=workspace_id, batch=batch, source=source)
