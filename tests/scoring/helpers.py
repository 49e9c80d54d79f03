"""Bulk interaction inserts for scoring tests: one INSERT statement = one ingest batch."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from fanlens.audience.models import Follower

T0 = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)

SCORE_COLUMNS = (
    "follower_id, engagement_score, engagement_tier, comment_count, like_count, share_count, "
    "save_count, profile_visit_count, link_click_count, other_count, interaction_count, "
    "first_interaction_at, last_interaction_at, config_version"
)


def insert_batch(session: Session, rows: Sequence[tuple[Follower, str, datetime]]) -> None:
    """Insert (follower, type, occurred_at) rows in one statement, as an ingest batch does."""
    if not rows:
        return
    session.execute(
        text(
            "INSERT INTO follower_interactions "
            "(workspace_id, follower_id, platform, interaction_type, occurred_at, dedup_key) "
            "SELECT f.workspace_id, f.id, f.platform, u.t, u.o, gen_random_uuid() "
            "FROM unnest(CAST(:ids AS uuid[]), CAST(:types AS text[]), "
            "            CAST(:times AS timestamptz[])) AS u(fid, t, o) "
            "JOIN followers f ON f.id = u.fid"
        ),
        {
            "ids": [f.id for f, _, _ in rows],
            "types": [t for _, t, _ in rows],
            "times": [o for _, _, o in rows],
        },
    )


def scores(session: Session, workspace_id: uuid.UUID) -> dict[uuid.UUID, tuple[Any, ...]]:
    result = session.execute(
        text(
            f"SELECT {SCORE_COLUMNS} FROM follower_engagement_scores "
            "WHERE workspace_id = :ws ORDER BY follower_id"
        ),
        {"ws": workspace_id},
    ).all()
    return {r[0]: tuple(r[1:]) for r in result}


def stored_score(session: Session, follower: Follower) -> tuple[Decimal, str] | None:
    row = session.execute(
        text(
            "SELECT engagement_score, engagement_tier FROM follower_engagement_scores "
            "WHERE follower_id = :f"
        ),
        {"f": follower.id},
    ).one_or_none()
    return (row[0], row[1]) if row else None
