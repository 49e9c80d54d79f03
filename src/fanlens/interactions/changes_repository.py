"""SQL of edits and deletes: the latest change per interaction, and the stored rows it reaches.

Each function takes the session of the batch's transaction; nothing here commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

# The batch's changes, one per (platform, key): merged before they are sent, as ON CONFLICT
# may touch a row once per statement.
_BATCH = """unnest(CAST(:platforms AS text[]), CAST(:keys AS uuid[]))
    AS u(platform, dedup_key)"""

# A delete is for good (unless a later interaction under the same key lifts it: REVIVE); an
# edit replaces the stored one only when it is newer, so events that
# arrive out of order (a stream replaying, a poll behind it) end at the latest text.
UPSERT_CHANGES = """
INSERT INTO interaction_changes AS c (
    workspace_id, platform, dedup_key, interaction_type, external_id, deleted_at, edited_at,
    edited_text)
SELECT :ws, u.platform, u.dedup_key, u.interaction_type, u.external_id,
       CASE WHEN u.deleted THEN now() END, u.edited_at, u.edited_text
FROM unnest(CAST(:platforms AS text[]), CAST(:keys AS uuid[]), CAST(:types AS text[]),
            CAST(:ids AS text[]), CAST(:deleted AS boolean[]), CAST(:edited AS timestamptz[]),
            CAST(:texts AS text[]))
    AS u(platform, dedup_key, interaction_type, external_id, deleted, edited_at, edited_text)
ORDER BY u.platform, u.dedup_key
ON CONFLICT (workspace_id, platform, dedup_key) DO UPDATE SET
    deleted_at = coalesce(c.deleted_at, EXCLUDED.deleted_at),
    edited_at = CASE WHEN EXCLUDED.edited_at > c.edited_at OR c.edited_at IS NULL
                     THEN coalesce(EXCLUDED.edited_at, c.edited_at) ELSE c.edited_at END,
    edited_text = CASE WHEN EXCLUDED.edited_at > c.edited_at OR c.edited_at IS NULL
                       THEN coalesce(EXCLUDED.edited_text, c.edited_text) ELSE c.edited_text END
WHERE c.deleted_at IS NULL
"""

# The delete triggers on follower_interactions bring every derived row (counts, scores, tier
# history, daily counts, rollups, retention, content totals, sentiments) to where it would be
# had the interaction never been stored.
DELETE_MARKED = f"""
WITH gone AS (
    DELETE FROM follower_interactions i
    USING {_BATCH}, interaction_changes c
    WHERE c.workspace_id = :ws AND c.platform = u.platform AND c.dedup_key = u.dedup_key
      AND c.deleted_at IS NOT NULL
      AND i.workspace_id = :ws AND i.platform = c.platform AND i.dedup_key = c.dedup_key
    RETURNING i.platform, i.dedup_key
)
SELECT platform, dedup_key FROM gone
"""

APPLY_EDITS = f"""
WITH edited AS (
    UPDATE follower_interactions i
    SET interaction_value = c.edited_text, edited_at = c.edited_at
    FROM {_BATCH}, interaction_changes c
    WHERE c.workspace_id = :ws AND c.platform = u.platform AND c.dedup_key = u.dedup_key
      AND c.deleted_at IS NULL AND c.edited_at IS NOT NULL
      AND i.workspace_id = :ws AND i.platform = c.platform AND i.dedup_key = c.dedup_key
      AND i.edited_at IS DISTINCT FROM c.edited_at
    RETURNING i.id
)
SELECT count(*) FROM edited
"""

STORED = f"""
SELECT u.platform, u.dedup_key FROM {_BATCH}
WHERE EXISTS (SELECT 1 FROM follower_interactions i
              WHERE i.workspace_id = :ws AND i.platform = u.platform
                AND i.dedup_key = u.dedup_key)
"""


# A tombstone recorded before the interaction's (exact) time is of an earlier one under the
# same key: a type keyed without its time (a fan who unfollowed and followed again).
REVIVE = """
DELETE FROM interaction_changes c
USING unnest(CAST(:platforms AS text[]), CAST(:keys AS uuid[]), CAST(:times AS timestamptz[]))
    AS u(platform, dedup_key, occurred_at)
WHERE c.workspace_id = :ws AND c.platform = u.platform AND c.dedup_key = u.dedup_key
  AND c.deleted_at < u.occurred_at
"""


def revive(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    items: Sequence[tuple[str, uuid.UUID, datetime]],
) -> None:
    """Lift the tombstones of these (platform, key) recorded before the given time."""
    params = {
        "ws": workspace_id,
        "platforms": [p for p, _, _ in items],
        "keys": [k for _, k, _ in items],
        "times": [t for _, _, t in items],
    }
    session.execute(text(REVIVE), params)


def record(session: Session, *, workspace_id: uuid.UUID, rows: Sequence[dict[str, Any]]) -> None:
    """Each change (platform, dedup_key, interaction_type, external_id, deleted, edited_at,
    edited_text) merged into the interaction's recorded change."""
    columns = {
        "platforms": "platform",
        "keys": "dedup_key",
        "types": "interaction_type",
        "ids": "external_id",
        "deleted": "deleted",
        "edited": "edited_at",
        "texts": "edited_text",
    }
    params: dict[str, Any] = {name: [r[col] for r in rows] for name, col in columns.items()}
    session.execute(text(UPSERT_CHANGES), {"ws": workspace_id, **params})


@dataclass
class Applied:
    deleted: set[tuple[str, uuid.UUID]]  # (platform, dedup key) of the interactions removed
    edited: int
    stored: set[tuple[str, uuid.UUID]]  # of those still stored (edited or not)


def apply(
    session: Session, *, workspace_id: uuid.UUID, keys: Sequence[tuple[str, uuid.UUID]]
) -> Applied:
    """Delete or edit the stored interactions of these (platform, key) as their recorded
    changes say."""
    params = {"ws": workspace_id, "platforms": [p for p, _ in keys], "keys": [k for _, k in keys]}
    deleted = {(r[0], r[1]) for r in session.execute(text(DELETE_MARKED), params)}
    edited = session.execute(text(APPLY_EDITS), params).scalar_one()
    stored = {(r[0], r[1]) for r in session.execute(text(STORED), params)}
    return Applied(deleted=deleted, edited=edited, stored=stored)
