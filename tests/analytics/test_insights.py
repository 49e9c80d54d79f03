"""Best platform, best time to post and tier movement on small worlds with known answers."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from fanlens.analytics import insights, repository
from fanlens.analytics.retention import midnight, shift, window
from fanlens.demo.generate import generate_world
from fanlens.interactions.ingest import ingest_records
from fanlens.kit.errors import InvalidInput, NotFound
from fanlens.scoring.models import FollowerTierChange
from tests.fixtures.builders import (
    create_content,
    create_follower,
    create_post,
    create_workspace,
    interact,
)


def at(day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def test_best_platform_plain_and_normalised(session: Session) -> None:
    ws = create_workspace(session)
    item = create_content(session, ws, slug="item")
    other = create_content(session, ws, slug="other")
    create_post(session, item, platform="tiktok", views=1000, likes=100, comments=20, shares=5,
                saves=5)  # fmt: skip
    create_post(session, item, platform="instagram", views=500, likes=80, comments=10)
    create_post(session, item, platform="youtube", likes=10)
    create_post(session, other, platform="tiktok", views=9000, likes=1170)
    create_post(session, other, platform="instagram", views=1500, likes=30)
    create_post(session, other, platform="youtube", likes=30)
    for _ in range(2):
        create_follower(session, ws, platform="youtube")

    best = insights.best_platform(session=session, workspace_id=ws.id, content_id=item.id)

    assert best.most_engagement == "tiktok"
    assert best.most_engagement_reason == "most engagement: 130 (vs instagram 90, youtube 10)"
    assert best.normalised == "instagram"
    scores = {s.platform: s for s in best.platforms}
    assert (scores["tiktok"].rate, scores["tiktok"].platform_rate) == (0.13, 0.13)
    assert (scores["instagram"].rate, scores["instagram"].platform_rate) == (0.18, 0.06)
    assert scores["instagram"].index == 3.0
    assert scores["youtube"].basis == "followers"
    assert (scores["youtube"].rate, scores["youtube"].platform_rate) == (5.0, 10.0)
    assert scores["youtube"].index == 0.5
    assert best.normalised_reason is not None and best.normalised_reason.startswith("3.00x")


def test_best_platform_unknown_item(session: Session) -> None:
    ws = create_workspace(session)
    with pytest.raises(NotFound):
        insights.best_platform(session=session, workspace_id=ws.id, content_id=uuid.uuid4())


def test_best_time_first_24_hours(session: Session) -> None:
    ws = create_workspace(session)
    item = create_content(session, ws)
    monday = create_post(session, item, platform="tiktok", posted_at=at(2, 9))
    monday2 = create_post(session, item, platform="tiktok", posted_at=at(9, 9, 30))
    create_post(session, item, platform="instagram", posted_at=at(3, 18))
    fan = create_follower(session, ws, platform="tiktok")
    for minutes in (5, 60, 23 * 60 + 59):
        when = at(2, 9) + timedelta(minutes=minutes)
        interact(session, fan, "comment", post=monday, occurred_at=when)
    interact(session, fan, "like", post=monday, occurred_at=at(3, 9, 1))  # after 24 hours
    interact(session, fan, "like", post=monday2, occurred_at=at(9, 10))

    result = insights.best_time(session=session, workspace_id=ws.id)
    cells = {(c.platform, c.weekday, c.hour): (c.posts, c.avg_engagement) for c in result.cells}
    assert cells == {("tiktok", 1, 9): (2, 2.0), ("instagram", 2, 18): (1, 0.0)}
    assert [c.hour for c in result.best["tiktok"]] == [9]

    new_york = insights.best_time(session=session, workspace_id=ws.id, tz="America/New_York")
    assert {(c.platform, c.weekday, c.hour) for c in new_york.cells} == {
        ("tiktok", 1, 4),
        ("instagram", 2, 13),
    }
    only = insights.best_time(session=session, workspace_id=ws.id, platform="instagram")
    assert [c.platform for c in only.cells] == ["instagram"]
    with pytest.raises(InvalidInput):
        insights.best_time(session=session, workspace_id=ws.id, tz="Mars/Olympus")


def _change(session: Session, ws_id: uuid.UUID, follower_id: uuid.UUID, frm: str | None,
            to: str, when: datetime) -> None:  # fmt: skip
    session.add(
        FollowerTierChange(
            workspace_id=ws_id,
            follower_id=follower_id,
            from_tier=frm,
            to_tier=to,
            score=0,
            config_version=1,
            changed_at=when,
        )
    )


def test_tier_movement_known_history(session: Session) -> None:
    ws = create_workspace(session)
    a, b, c = (create_follower(session, ws) for _ in range(3))
    session.execute(FollowerTierChange.__table__.delete().where(
        FollowerTierChange.workspace_id == ws.id))  # fmt: skip
    # Weeks of Nov 9 (W1), Nov 16 (W2), Nov 23 (W3, current).
    _change(session, ws.id, a.id, None, "lurker", at(10))
    _change(session, ws.id, b.id, None, "active", at(11))
    _change(session, ws.id, a.id, "lurker", "active", at(17))
    _change(session, ws.id, b.id, "active", "lurker", at(18))
    _change(session, ws.id, c.id, None, "lurker", at(18))
    _change(session, ws.id, a.id, "active", "super_fan", at(24))
    session.flush()

    m = insights.tier_movement(
        session=session, workspace_id=ws.id, periods=3, as_of=date(2026, 11, 25)
    )
    summary = [(p.period.day, p.up, p.held, p.down, p.new) for p in m.periods]
    assert summary == [(9, 0, 0, 0, 2), (16, 1, 0, 1, 1), (23, 1, 2, 0, 0)]
    w3 = {(mv.from_tier, mv.to_tier): mv.followers for mv in m.periods[2].moves}
    assert w3 == {("active", "super_fan"): 1, ("lurker", "lurker"): 2}
    assert sum(p.changes for p in m.periods) == 6


def test_tier_movement_sums_match_the_history(session: Session) -> None:
    ws = create_workspace(session)
    world = generate_world("tiny", seed=3)
    ingest_records(session, workspace_id=ws.id, records=world.records(), source="test")
    for grain in ("week", "month"):
        m = insights.tier_movement(session=session, workspace_id=ws.id, grain=grain, periods=12)
        # Behaviour changes at exact times inside the window (changes by an observed time are
        # counted apart, as time unknown).
        history = session.scalar(
            select(func.count()).select_from(FollowerTierChange).where(
                FollowerTierChange.workspace_id == ws.id,
                FollowerTierChange.kind == "behaviour",
                FollowerTierChange.time_precision == "exact",
                FollowerTierChange.changed_at >= midnight(m.periods[0].period),
                FollowerTierChange.changed_at < midnight(shift(m.periods[-1].period, grain, 1)))
        )  # fmt: skip
        assert history
        assert sum(p.changes for p in m.periods) == history
        assert (
            sum(mv.followers for p in m.periods for mv in p.moves if mv.direction != "held")
            == history
        )


# The held followers as first written: per period, each follower's last change before it, then
# no change inside it. The one-pass statement in analytics.repository must agree with it.
_HELD_PER_PERIOD = text(
    """
    SELECT p.start AS period, last.to_tier AS tier, count(*)::bigint AS followers
    FROM unnest(CAST(:starts AS date[]), CAST(:ends AS date[])) AS p (start, stop)
    CROSS JOIN LATERAL (
        SELECT DISTINCT ON (c.follower_id) c.follower_id, c.to_tier
        FROM follower_tier_changes c
        WHERE c.workspace_id = :ws AND c.changed_at < p.start::timestamp AT TIME ZONE 'UTC'
          AND c.kind = 'behaviour'
        ORDER BY c.follower_id, c.changed_at DESC, c.id DESC) last
    WHERE NOT EXISTS (
        SELECT 1 FROM follower_tier_changes m
        WHERE m.follower_id = last.follower_id AND m.kind = 'behaviour'
          AND m.changed_at >= p.start::timestamp AT TIME ZONE 'UTC'
          AND m.changed_at < p.stop::timestamp AT TIME ZONE 'UTC')
    GROUP BY 1, 2
    """
)


def test_tier_held_matches_the_per_period_statement(session: Session) -> None:
    ws = create_workspace(session)
    world = generate_world("tiny", seed=5)
    ingest_records(session, workspace_id=ws.id, records=world.records(), source="test")
    a, b = create_follower(session, ws), create_follower(session, ws)
    _change(session, ws.id, a.id, None, "lurker", at(2))
    _change(session, ws.id, a.id, "lurker", "active", at(2))  # same moment: the later id wins
    _change(session, ws.id, b.id, None, "active", at(9, 0))  # on a week's first instant
    session.flush()
    for grain in ("week", "month"):
        for periods in (1, 3, 12):
            first = window(grain, periods, None)[0]
            starts = [shift(first, grain, n) for n in range(periods)]
            ends = [shift(s, grain, 1) for s in starts]
            params = {"ws": ws.id, "starts": starts, "ends": ends}
            expected = sorted(tuple(r) for r in session.execute(_HELD_PER_PERIOD, params))
            got = sorted(
                tuple(r)
                for r in repository.tier_held(session, ws.id, grain=grain, starts=starts, ends=ends)
            )
            assert expected, (grain, periods)
            assert got == expected, (grain, periods)
