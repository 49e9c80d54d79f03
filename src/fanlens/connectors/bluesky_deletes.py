"""What a deleted Bluesky like, repost or follow was, when the delete names only its record.

A delete commit carries the repo (the fan's DID), the collection and the record key, not the
record: not its subject. Two ways find the stored interaction it removes:

- by its record: the live stream keeps a like's, repost's or follow's at-uri as its external
  id, so the delete of a record it stored names it directly;
- by reconciliation: the poller lists likes, reposts and follows without their record, so for
  the ones it stored fanlens asks the fan's PDS which of them still exist
  (com.atproto.repo.listRecords on the fan's repo, paged newest first, stopping as soon as all
  are seen) and deletes those that do not.

Cost: only DIDs of the account's stored fans are looked at (one query per micro-batch; a delete
by anyone else, nearly every delete on the network, costs nothing); a fan is reconciled once per
micro-batch and collection, and only when it has interactions of that type stored without their
record; it costs one DID resolution (cached) and at most MAX_PAGES listRecords calls. A fan
whose records do not settle it within MAX_PAGES pages is left as it is (logged): the interaction
stays until a delete of another of that fan's records settles it, or for good.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy import Engine

from fanlens.connectors import base
from fanlens.connectors.bluesky import PLATFORM, BlueskyConnector
from fanlens.db.engine import unit_of_work
from fanlens.interactions import repository as interaction_repository
from fanlens.interactions.keys import dedup_key
from fanlens.interactions.repository import FanInteraction
from fanlens.kit.logging import kv

log = logging.getLogger(__name__)

KINDS = {
    "app.bsky.feed.like": "like",
    "app.bsky.feed.repost": "repost",
    "app.bsky.graph.follow": "follow",
}
MAX_PAGES = 20  # listRecords pages of 100 per fan and collection: 2,000 records


def resolve(
    connector: BlueskyConnector, engine: Engine, workspace_id: uuid.UUID, external_ids: list[str]
) -> list[base.Record]:
    """Delete changes for the deleted likes, reposts and follows (at-uris) that were stored."""
    deleted = [parsed for uri in external_ids if (parsed := _parse(uri)) is not None]
    if not deleted:
        return []
    with unit_of_work(engine) as session:
        stored = interaction_repository.of_fans(
            session,
            workspace_id,
            PLATFORM,
            sorted({did for did, _, _ in deleted}),
            sorted(set(KINDS.values())),
        )
    by_record = {row.external_id: row for row in stored if row.external_id}
    changes: list[base.Record] = []
    unmatched: set[tuple[str, str]] = set()
    for did, kind, uri in deleted:
        row = by_record.get(uri)
        if row is not None:
            changes.append(_change(row))
        else:
            unmatched.add((did, kind))
    without_record: dict[tuple[str, str], list[FanInteraction]] = defaultdict(list)
    for row in stored:
        if row.external_id is None:
            without_record[(row.external_user_id, row.interaction_type)].append(row)
    for did, kind in sorted(unmatched):
        if without_record.get((did, kind)):
            changes += _reconcile(connector, did, kind, without_record[(did, kind)])
    return [c for c in changes if c]


def _parse(uri: str) -> tuple[str, str, str] | None:
    """(DID, interaction type, uri) of a like's, repost's or follow's at-uri."""
    parts = uri.removeprefix("at://").split("/")
    if not uri.startswith("at://") or len(parts) != 3 or parts[1] not in KINDS:
        return None
    return parts[0], KINDS[parts[1]], uri


def _reconcile(
    connector: BlueskyConnector, did: str, kind: str, rows: list[FanInteraction]
) -> list[base.Record]:
    """Deletes of the fan's stored `kind` interactions whose record the fan's repo no longer
    holds: a like or repost names the creator's post, a follow the creator."""
    collection = next(c for c, k in KINDS.items() if k == kind)
    wanted = {_subject(row, connector) for row in rows}
    try:
        found = connector.record_subjects(did, collection, wanted, MAX_PAGES)
    except base.ConnectorError as exc:
        log.warning(kv(event="live_reconcile_failed", did=did, kind=kind, error=exc.message))
        return []
    if found is None:
        log.warning(kv(event="live_reconcile_unsettled", did=did, kind=kind, pages=MAX_PAGES))
        return []
    return [_change(row) for row in rows if _subject(row, connector) not in found]


def _subject(row: FanInteraction, connector: BlueskyConnector) -> str:
    return row.external_post_id or connector.did or ""


def _change(row: FanInteraction) -> dict[str, Any]:
    """The delete change naming the row by the key it was stored under (as the poller keys
    it: with the like's time, without a repost's or follow's; or by its id); {} if none fits."""
    change: dict[str, Any] = {
        "platform": PLATFORM,
        "interaction_type": row.interaction_type,
        "user": {"external_user_id": row.external_user_id},
        "deleted": True,
    }
    if row.external_post_id:
        change["external_post_id"] = row.external_post_id
    for when in (row.occurred_at, None):
        key = dedup_key(
            interaction_type=row.interaction_type,
            external_id=None,
            external_post_id=row.external_post_id,
            external_user_id=row.external_user_id,
            occurred_at=when,
        )
        if key == row.dedup_key:
            return change | ({"occurred_at": when.isoformat()} if when else {})
    if row.external_id:  # keyed by its id (an import that named one)
        return {**change, "external_id": row.external_id}
    return {}
