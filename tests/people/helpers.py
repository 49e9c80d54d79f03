"""Worlds with planted cross-platform people, loaded through the real ingest path."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from fanlens.demo.generate import World
from fanlens.interactions.ingest import ingest_records


def load(
    session: Session, *, workspace_id: uuid.UUID, world: World, interactions: bool = True
) -> dict[tuple[str, str], uuid.UUID]:
    """Ingest the world; return follower ids by (platform, external_user_id)."""
    records = world.records()
    if not interactions:
        records = (r for r in records if r["type"] != "interaction")
    ingest_records(session, workspace_id=workspace_id, records=records, source="test")
    rows = session.execute(
        text("SELECT platform, external_user_id, id FROM followers WHERE workspace_id = :ws"),
        {"ws": workspace_id},
    )
    return {(r.platform, r.external_user_id): r.id for r in rows}


def merged_pairs(session: Session, workspace_id: uuid.UUID) -> set[frozenset[uuid.UUID]]:
    """Every pair of identities that now share a person."""
    rows = session.execute(
        text(
            "SELECT person_id, array_agg(follower_id ORDER BY follower_id) AS ids "
            "FROM person_identities WHERE workspace_id = :ws GROUP BY person_id "
            "HAVING count(*) > 1"
        ),
        {"ws": workspace_id},
    )
    pairs: set[frozenset[uuid.UUID]] = set()
    for row in rows:
        pairs.update(frozenset(p) for p in itertools.combinations(row.ids, 2))
    return pairs


def planted_pairs(world: World, ids: dict[tuple[str, str], uuid.UUID]) -> set[frozenset[uuid.UUID]]:
    pairs: set[frozenset[uuid.UUID]] = set()
    for group in world.planted_people():
        members = [ids[k] for k in group if k in ids]
        pairs.update(frozenset(p) for p in itertools.combinations(members, 2))
    return pairs


def precision_recall(
    merged: set[frozenset[uuid.UUID]], truth: set[frozenset[uuid.UUID]]
) -> tuple[float, float]:
    true_positive = len(merged & truth)
    precision = true_positive / len(merged) if merged else 1.0
    recall = true_positive / len(truth) if truth else 1.0
    return precision, recall


def snapshot(session: Session, workspace_id: uuid.UUID) -> dict[str, Any]:
    """Everything a merge changes: who belongs to whom, and which people are merged away."""
    identities = session.execute(
        text(
            "SELECT follower_id, person_id FROM person_identities WHERE workspace_id = :ws "
            "ORDER BY follower_id"
        ),
        {"ws": workspace_id},
    ).all()
    people = session.execute(
        text(
            "SELECT id, display_name, merged_into_id, created_at, updated_at FROM people "
            "WHERE workspace_id = :ws ORDER BY id"
        ),
        {"ws": workspace_id},
    ).all()
    return {"identities": [tuple(r) for r in identities], "people": [tuple(r) for r in people]}
