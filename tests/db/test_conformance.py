"""The product's origin: its example queries, its scoring test, tiers, cascades, idempotency."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from fanlens.audience.models import Follower
from fanlens.content.models import ContentItem
from fanlens.interactions.models import FollowerInteraction
from fanlens.scoring.models import FollowerEngagementScore
from tests.fixtures.builders import (
    create_content,
    create_follower,
    create_post,
    create_workspace,
    interact,
)

pytestmark = pytest.mark.conformance
T0 = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


def _world(session: Session):  # type: ignore[no-untyped-def]
    ws = create_workspace(session)
    content = create_content(session, ws, title="Cold brew in 60 seconds")
    tiktok = create_post(
        session, content, platform="tiktok", views=1000, likes=90, comments=12, shares=5, saves=3
    )
    insta = create_post(
        session, content, platform="instagram", views=800, likes=40, comments=30, shares=1, saves=9
    )
    fan = create_follower(session, ws, platform="tiktok", username="creator_amy")
    interact(
        session, fan, "comment", post=tiktok, occurred_at=T0, external_id="c1", value="Love this 😍"
    )
    interact(session, fan, "like", post=tiktok, occurred_at=T0 + timedelta(minutes=1))
    interact(session, fan, "share", post=tiktok, occurred_at=T0 + timedelta(minutes=2))
    session.flush()
    return ws, content, tiktok, insta, fan


def test_origin_scoring_example_scores_16_lurker(session: Session) -> None:
    ws, _, _, _, fan = _world(session)
    score = session.get(FollowerEngagementScore, fan.id)
    assert score is not None
    assert score.engagement_score == Decimal(16)
    assert score.engagement_tier == "lurker"
    assert (score.comment_count, score.like_count, score.share_count) == (1, 1, 1)
    assert score.workspace_id == ws.id


def test_origin_example_queries_return_their_columns(session: Session) -> None:
    ws, content, _, _, fan = _world(session)
    summary = session.execute(
        text(
            "SELECT title, platform_count, platforms, total_comments, best_platform "
            "FROM content_cross_platform_summary WHERE workspace_id = :ws"
        ),
        {"ws": ws.id},
    ).one()
    assert summary.title == "Cold brew in 60 seconds"
    assert summary.platform_count == 2
    assert summary.platforms == ["instagram", "tiktok"]
    assert summary.total_comments == 42
    assert summary.best_platform == "tiktok"  # engagement 110 vs 80

    top = session.execute(
        text(
            "SELECT username, platform, engagement_score, engagement_tier, comment_count "
            "FROM top_engaged_followers WHERE engagement_tier = 'lurker' AND workspace_id = :ws "
            "LIMIT 20"
        ),
        {"ws": ws.id},
    ).all()
    assert [tuple(r) for r in top] == [("creator_amy", "tiktok", Decimal(16), "lurker", 1)]

    timeline = session.execute(
        text(
            "SELECT username, interaction_type, interaction_value, occurred_at "
            "FROM follower_activity_timeline WHERE follower_id = :f ORDER BY occurred_at DESC"
        ),
        {"f": fan.id},
    ).all()
    assert [r.interaction_type for r in timeline] == ["share", "like", "comment"]
    assert timeline[2].interaction_value == "Love this 😍"

    cohorts = session.execute(
        text(
            "SELECT cohort_week, platform, follower_count, active_30d, super_fans "
            "FROM follower_cohorts WHERE workspace_id = :ws ORDER BY cohort_week DESC"
        ),
        {"ws": ws.id},
    ).all()
    assert [tuple(r) for r in cohorts] == [
        (datetime(2026, 11, 2).date(), "tiktok", 1, cohorts[0].active_30d, 0)
    ]
    rollup = session.execute(
        text(
            "SELECT platform, post_count, likes, interaction_count, comment_interactions "
            "FROM content_platform_rollup WHERE content_id = :c ORDER BY platform"
        ),
        {"c": content.id},
    ).all()
    assert [tuple(r) for r in rollup] == [("instagram", 1, 40, 0, 0), ("tiktok", 1, 90, 3, 1)]


@pytest.mark.parametrize(
    ("score", "tier"),
    [
        (0, "inactive"),
        (9, "inactive"),
        (10, "lurker"),
        (99, "lurker"),
        (100, "active"),
        (499, "active"),
        (500, "super_fan"),
        (10_000, "super_fan"),
    ],
)
def test_tier_boundaries(session: Session, score: int, tier: str) -> None:
    got = session.execute(text("SELECT determine_engagement_tier(:s)"), {"s": score}).scalar()
    assert got == tier


def test_calculate_engagement_score_is_the_origin_formula(session: Session) -> None:
    got = session.execute(text("SELECT calculate_engagement_score(1, 2, 3, 4, 5, 6)")).scalar()
    assert got == 1 * 5 + 2 * 1 + 3 * 10 + 4 * 8 + 5 * 3 + 6 * 15


def test_an_interaction_ingested_twice_stores_one_row(session: Session) -> None:
    ws, _, tiktok, _, fan = _world(session)
    again = interact(
        session, fan, "comment", post=tiktok, occurred_at=T0, external_id="c1", value="Love this 😍"
    )
    assert again.created is False
    like_without_time = interact(session, fan, "like", post=tiktok)
    like_again = interact(session, fan, "like", post=tiktok)
    assert like_without_time.created and not like_again.created
    assert like_without_time.interaction.time_precision == "observed"
    count = session.scalar(
        select(func.count())
        .select_from(FollowerInteraction)
        .where(FollowerInteraction.workspace_id == ws.id)
    )
    assert count == 4
    score = session.get(FollowerEngagementScore, fan.id)
    assert score is not None and score.engagement_score == Decimal(17)


def test_first_and_last_seen_follow_interaction_times(session: Session) -> None:
    _ws, _, tiktok, _, fan = _world(session)
    interact(
        session, fan, "comment", post=tiktok, occurred_at=T0 - timedelta(days=3), external_id="old"
    )
    session.refresh(fan)
    assert fan.first_seen_at == T0 - timedelta(days=3)
    assert fan.last_seen_at == T0 + timedelta(minutes=2)


def test_cascade_deletes(session: Session) -> None:
    ws, content, _tiktok, _, fan = _world(session)
    session.delete(session.get(ContentItem, content.id))
    session.flush()
    assert (
        session.scalar(
            select(func.count())
            .select_from(FollowerInteraction)
            .where(FollowerInteraction.workspace_id == ws.id)
        )
        == 0
    )
    score = session.get(FollowerEngagementScore, fan.id)
    session.refresh(score) if score else None
    assert (
        session.scalar(
            select(FollowerEngagementScore.engagement_score).where(
                FollowerEngagementScore.follower_id == fan.id
            )
        )
        is None
    )

    session.delete(ws)
    session.flush()
    assert (
        session.scalar(
            select(func.count()).select_from(Follower).where(Follower.workspace_id == ws.id)
        )
        == 0
    )


def test_deleting_an_interaction_rescores(session: Session) -> None:
    _, _, _, _, fan = _world(session)
    session.execute(
        text(
            "DELETE FROM follower_interactions WHERE follower_id = :f "
            "AND interaction_type = 'share'"
        ),
        {"f": fan.id},
    )
    score = session.execute(
        text("SELECT engagement_score FROM follower_engagement_scores WHERE follower_id = :f"),
        {"f": fan.id},
    ).scalar()
    assert score == Decimal(6)


def test_updated_at_trigger_sets_the_time_of_the_change(session: Session) -> None:
    _, content, _, _, fan = _world(session)
    for table, row_id in (("content_items", content.id), ("followers", fan.id)):
        stamp = session.execute(
            text(
                f"UPDATE {table} SET updated_at = '2000-01-01T00:00:00Z' WHERE id = :id "
                "RETURNING updated_at"
            ),
            {"id": row_id},
        ).scalar()
        assert stamp is not None and stamp.year > 2000, table


def test_deleting_a_follower_or_post_cascades_to_interactions_and_scores(
    session: Session,
) -> None:
    ws, _content, _tiktok, insta, fan = _world(session)
    other = create_follower(session, ws, platform="instagram")
    interact(session, other, "comment", post=insta, occurred_at=T0, external_id="i1")
    session.execute(text("DELETE FROM content_posts WHERE id = :p"), {"p": insta.id})
    remaining = session.execute(
        text("SELECT count(*) FROM follower_interactions WHERE follower_id = :f"), {"f": other.id}
    )
    assert remaining.scalar() == 0
    assert (
        session.get(FollowerEngagementScore, other.id) is None
        or session.execute(
            text("SELECT count(*) FROM follower_engagement_scores WHERE follower_id = :f"),
            {"f": other.id},
        ).scalar()
        == 0
    )
    session.execute(text("DELETE FROM followers WHERE id = :f"), {"f": fan.id})
    assert (
        session.execute(
            text("SELECT count(*) FROM follower_interactions WHERE workspace_id = :ws"),
            {"ws": ws.id},
        ).scalar()
        == 0
    )
    assert (
        session.execute(
            text("SELECT count(*) FROM follower_engagement_scores WHERE workspace_id = :ws"),
            {"ws": ws.id},
        ).scalar()
        == 0
    )
