"""follower_tier_counts and interaction_platform_days always equal the GROUP BYs they
stand for: after ingest, a re-ingest, a weight change that moves tiers, corrected times,
relinked posts, deleted interactions, followers and content, and a deleted workspace."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.orm import Session

from fanlens.demo.generate import generate_world
from fanlens.interactions.ingest import ingest_records
from fanlens.scoring import service as scoring
from fanlens.scoring.schemas import ScoringConfigChange
from tests.fixtures.builders import create_follower, create_workspace, interact
from tests.helpers import row_set

TIERS = (
    "SELECT platform, tier, followers, interactions FROM follower_tier_counts "
    "WHERE workspace_id = :ws"
)  # no filter: an empty tier holds no row, as in a workspace that never had it


TIERS_TRUTH = (
    "SELECT f.platform, coalesce(s.engagement_tier, 'inactive'), count(*), "
    "coalesce(sum(s.interaction_count), 0) FROM followers f "
    "LEFT JOIN follower_engagement_scores s ON s.follower_id = f.id "
    "WHERE f.workspace_id = :ws GROUP BY 1, 2"
)


DAYS = (
    "SELECT platform, day, interaction_count FROM interaction_platform_days "
    "WHERE workspace_id = :ws AND interaction_count <> 0"
)


DAYS_TRUTH = (
    "SELECT platform, CASE WHEN time_precision = 'exact' "
    "THEN (occurred_at AT TIME ZONE 'UTC')::date END, count(*) "
    "FROM follower_interactions WHERE workspace_id = :ws GROUP BY 1, 2"
)


def _check(session: Session, ws: uuid.UUID) -> None:
    assert row_set(session, TIERS, ws) == row_set(session, TIERS_TRUTH, ws) != set()
    assert row_set(session, DAYS, ws) == row_set(session, DAYS_TRUTH, ws)


def test_rollups_follow_every_change(session: Session) -> None:
    ws, other, gone = (create_workspace(session) for _ in range(3))
    records = list(generate_world("tiny", 5).records())
    for w in (ws, other, gone):
        ingest_records(session, workspace_id=w.id, records=records, source="test")
    create_follower(session, ws, platform="mastodon")  # no interactions: inactive, no score row
    _check(session, ws.id)
    assert len({tier for _, tier, _, _ in row_set(session, TIERS, ws.id)}) > 1

    ingest_records(session, workspace_id=ws.id, records=records, source="again")
    _check(session, ws.id)

    change = ScoringConfigChange(weights={"like": Decimal(40)}, lurker=Decimal(60))
    scoring.update_config(session=session, workspace_id=ws.id, change=change)  # tiers move
    _check(session, ws.id)

    ids = session.execute(
        text("SELECT id FROM content_items WHERE workspace_id = :ws ORDER BY id LIMIT 2"),
        {"ws": ws.id},
    ).scalars().all()  # fmt: skip
    session.execute(
        text("UPDATE content_posts SET content_id = :to WHERE content_id = :from"),
        {"to": ids[1], "from": ids[0]},
    )
    session.execute(
        text(
            "UPDATE follower_interactions SET occurred_at = occurred_at - interval '9 days' "
            "WHERE workspace_id = :ws AND interaction_type = 'like'"
        ),
        {"ws": ws.id},
    )
    _check(session, ws.id)
    session.execute(
        text(
            "UPDATE follower_interactions SET time_precision = CASE time_precision "
            "WHEN 'exact' THEN 'observed' ELSE 'exact' END "
            "WHERE workspace_id = :ws AND interaction_type = 'like'"
        ),
        {"ws": ws.id},
    )  # a corrected precision moves rows between their day and time unknown
    _check(session, ws.id)

    session.execute(
        text(
            "DELETE FROM follower_interactions WHERE id IN (SELECT id FROM follower_interactions "
            "WHERE workspace_id = :ws ORDER BY id LIMIT 40)"
        ),
        {"ws": ws.id},
    )  # some followers lose every interaction: back to inactive without a score row
    session.execute(
        text(
            "DELETE FROM followers WHERE id IN (SELECT id FROM followers WHERE workspace_id = :ws "
            "ORDER BY id LIMIT 15)"
        ),
        {"ws": ws.id},
    )
    session.execute(text("DELETE FROM content_items WHERE id = :id"), {"id": ids[1]})
    _check(session, ws.id)

    session.execute(text("DELETE FROM workspaces WHERE id = :id"), {"id": gone.id})
    for table in ("follower_tier_counts", "interaction_platform_days"):
        left = session.execute(
            text(f"SELECT count(*) FROM {table} WHERE workspace_id = :ws"), {"ws": gone.id}
        ).scalar()
        assert left == 0
    _check(session, other.id)  # untouched by all of the above


def test_a_tier_emptied_by_new_scores_holds_no_row(session: Session) -> None:
    """The one follower scoring as a lurker empties the inactive tier: its row goes, as in a
    workspace whose follower arrived with the share and never counted as inactive."""
    ws = create_workspace(session)
    fan = create_follower(session, ws, platform="bluesky")
    interact(session, fan, "share", occurred_at=datetime(2026, 11, 2, tzinfo=UTC))
    _check(session, ws.id)
    assert row_set(session, TIERS, ws.id) == {("bluesky", "lurker", 1, 1)}
