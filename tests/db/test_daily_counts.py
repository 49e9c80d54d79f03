"""interaction_daily_counts always equals a GROUP BY over the interaction log, with
observed-time interactions on day NULL (time unknown): after ingest, a re-ingest, a post moved
to another content item, corrected times and deletes."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from fanlens.demo.generate import generate_world
from fanlens.interactions.ingest import ingest_records
from tests.fixtures.builders import create_workspace
from tests.helpers import row_set

GROUPS = "workspace_id, content_id, platform, day, interaction_type"


def _rollup(session: Session, ws: uuid.UUID) -> set[tuple[Any, ...]]:
    return row_set(
        session,
        f"SELECT {GROUPS}, interaction_count FROM interaction_daily_counts "
        "WHERE workspace_id = :ws",
        ws,
    )


def _from_log(session: Session, ws: uuid.UUID) -> set[tuple[Any, ...]]:
    return row_set(
        session,
        "SELECT workspace_id, content_id, platform, CASE WHEN time_precision = 'exact' "
        "THEN (occurred_at AT TIME ZONE 'UTC')::date END, "
        "interaction_type, count(*) FROM follower_interactions WHERE workspace_id = :ws "
        "GROUP BY 1, 2, 3, 4, 5",
        ws,
    )


def test_daily_counts_follow_every_change_to_the_log(session: Session) -> None:
    ws = create_workspace(session)
    other = create_workspace(session)
    records = list(generate_world("tiny", 3).records())
    ingest_records(session, workspace_id=ws.id, records=records, source="test")
    ingest_records(session, workspace_id=other.id, records=records, source="test")
    assert _rollup(session, ws.id) == _from_log(session, ws.id) != set()
    assert any(r[1] is None for r in _rollup(session, ws.id))  # follows: no content item
    assert any(r[3] is None for r in _rollup(session, ws.id))  # observed: time unknown

    ingest_records(session, workspace_id=ws.id, records=records, source="again")
    assert _rollup(session, ws.id) == _from_log(session, ws.id)  # duplicates add nothing

    ids = session.execute(
        text("SELECT id FROM content_items WHERE workspace_id = :ws ORDER BY id LIMIT 2"),
        {"ws": ws.id},
    ).scalars().all()  # fmt: skip
    session.execute(
        text("UPDATE content_posts SET content_id = :to WHERE content_id = :from"),
        {"to": ids[1], "from": ids[0]},
    )  # relinking moves the post's interactions to the other item
    session.execute(
        text(
            "UPDATE follower_interactions SET occurred_at = occurred_at - interval '3 days' "
            "WHERE workspace_id = :ws AND interaction_type = 'comment'"
        ),
        {"ws": ws.id},
    )
    assert _rollup(session, ws.id) == _from_log(session, ws.id)
    session.execute(
        text(
            "UPDATE follower_interactions SET time_precision = CASE time_precision "
            "WHEN 'exact' THEN 'observed' ELSE 'exact' END "
            "WHERE workspace_id = :ws AND interaction_type IN ('like', 'repost')"
        ),
        {"ws": ws.id},
    )  # a corrected precision moves rows between their day and time unknown
    assert _rollup(session, ws.id) == _from_log(session, ws.id)

    session.execute(
        text(
            "DELETE FROM followers WHERE id IN (SELECT id FROM followers WHERE workspace_id = :ws "
            "ORDER BY id LIMIT 20)"
        ),
        {"ws": ws.id},
    )  # cascades to their interactions
    session.execute(text("DELETE FROM content_items WHERE id = :id"), {"id": ids[1]})
    assert _rollup(session, ws.id) == _from_log(session, ws.id)
    assert _rollup(session, other.id) == _from_log(session, other.id)  # untouched
    zero = session.execute(
        text("SELECT count(*) FROM interaction_daily_counts WHERE interaction_count <= 0")
    ).scalar()
    assert zero == 0
