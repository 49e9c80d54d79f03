"""Known worlds give known retention matrices.

as_of 2026-11-25 (a Wednesday): the weekly window of 4 periods is the weeks of Nov 2 (W0),
Nov 9 (W1), Nov 16 (W2) and Nov 23 (W3, current, incomplete). Followers (tiktok unless noted):

  amy    W0 like (post x), W1 comment, W3 like      cohort W0
  bo     W0 like (post y), W2 share                 cohort W0
  cy     W0 like (post x)                           cohort W0
  di     W1 comment, W2 like                        cohort W1
  ed     W1 like, W3 comment (instagram)            cohort W1
  fy     W2 like                                    cohort W2
  gil    Oct 20 like, Nov 24 like                   before the window (monthly: October)
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from fanlens.analytics import retention
from fanlens.analytics.schemas import RetentionMatrix
from fanlens.interactions.models import FollowerInteraction
from tests.fixtures.builders import (
    create_content,
    create_follower,
    create_post,
    create_workspace,
    interact,
)

AS_OF = date(2026, 11, 25)


def at(month: int, day: int, hour: int = 12) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


@pytest.fixture
def world(session: Session) -> dict[str, object]:
    ws = create_workspace(session)
    x, y = create_content(session, ws, slug="x"), create_content(session, ws, slug="y")
    px, py = create_post(session, x, platform="tiktok"), create_post(session, y, platform="tiktok")
    fans = {n: create_follower(session, ws, username=n) for n in ("amy", "bo", "cy", "di", "fy")}
    fans["ed"] = create_follower(session, ws, platform="instagram", username="ed")
    fans["gil"] = create_follower(session, ws, username="gil")
    events = [
        ("amy", "like", at(11, 3), px), ("amy", "comment", at(11, 10), px),
        ("amy", "like", at(11, 24), py), ("bo", "like", at(11, 4), py),
        ("bo", "share", at(11, 17), px), ("cy", "like", at(11, 8, 23), px),
        ("di", "comment", at(11, 9, 0), px), ("di", "like", at(11, 20), px),
        ("ed", "like", at(11, 12), None), ("ed", "comment", at(11, 23, 1), None),
        ("fy", "like", at(11, 19), px), ("gil", "like", at(10, 20), px),
        ("gil", "like", at(11, 24), px),
    ]  # fmt: skip
    for who, kind, when, post in events:
        interact(session, fans[who], kind, post=post, occurred_at=when)
    return {"ws": ws, "x": x, "fans": fans, "px": px}


def grid(m: RetentionMatrix) -> list[tuple[int, list[int]]]:
    return [(c.size, [cell.followers for cell in c.cells]) for c in m.cohorts]


def build(session: Session, world: dict[str, object], **kw: object) -> RetentionMatrix:
    ws = world["ws"]
    return retention.matrix(
        session=session,
        workspace_id=ws.id,  # type: ignore[attr-defined]
        as_of=AS_OF,
        periods=4,
        **kw,
    )


def test_bounded_weekly_matrix(session: Session, world: dict[str, object]) -> None:
    m = build(session, world)
    assert [c.cohort for c in m.cohorts] == [date(2026, 11, d) for d in (2, 9, 16, 23)]
    assert grid(m) == [(3, [3, 1, 1, 1]), (2, [2, 1, 1]), (1, [1, 0]), (0, [0])]
    assert [[cell.incomplete for cell in c.cells][-1] for c in m.cohorts] == [True] * 4
    assert not m.cohorts[0].cells[2].incomplete
    assert m.current_period == date(2026, 11, 23)
    assert m.cohorts[0].cells[1].rate == pytest.approx(0.3333)


def test_unbounded_weekly_matrix(session: Session, world: dict[str, object]) -> None:
    m = build(session, world, mode="on_or_after")
    assert grid(m) == [(3, [3, 2, 2, 1]), (2, [2, 2, 1]), (1, [1, 0]), (0, [0])]


def test_weighted_mean_row(session: Session, world: dict[str, object]) -> None:
    mean = build(session, world).mean
    assert [(r.cohorts, r.cohort_size, r.followers) for r in mean] == [
        (4, 6, 6),
        (3, 6, 2),
        (2, 5, 2),
        (1, 3, 1),
    ]
    assert [r.rate for r in mean] == [1.0, 0.3333, 0.4, 0.3333]
    assert [r.incomplete for r in mean] == [False, False, False, True]


def test_chosen_types_and_platform(session: Session, world: dict[str, object]) -> None:
    comments = build(session, world, types=["comment"])
    assert grid(comments) == [(3, [0, 1, 0, 0]), (2, [1, 0, 1]), (1, [0, 0]), (0, [0])]
    unbounded = build(session, world, types=["comment"], mode="on_or_after")
    assert grid(unbounded) == [(3, [1, 1, 0, 0]), (2, [2, 1, 1]), (1, [0, 0]), (0, [0])]
    instagram = build(session, world, platform="instagram")
    assert grid(instagram) == [(0, [0, 0, 0, 0]), (1, [1, 0, 1]), (0, [0, 0]), (0, [0])]


def test_first_touch_content(session: Session, world: dict[str, object]) -> None:
    x = world["x"]
    m = build(session, world, first_touch_content_id=x.id)  # type: ignore[attr-defined]
    # amy and cy came in through x (bo through y); di and fy through x; ed had no post.
    assert grid(m) == [(2, [2, 1, 0, 1]), (1, [1, 1, 0]), (1, [1, 0]), (0, [0])]


def test_monthly_matrix(session: Session, world: dict[str, object]) -> None:
    m = build(session, world, grain="month")
    assert [c.cohort for c in m.cohorts][-2:] == [date(2026, 10, 1), date(2026, 11, 1)]
    assert grid(m)[-2:] == [(1, [1, 1]), (6, [6])]


def test_backfill_moves_the_cohort_and_delete_restores(
    session: Session, world: dict[str, object]
) -> None:
    fans, px = world["fans"], world["px"]
    interact(session, fans["fy"], "like", post=px, occurred_at=at(11, 5))  # type: ignore[index]
    assert grid(build(session, world)) == [
        (4, [4, 1, 2, 1]),
        (2, [2, 1, 1]),
        (0, [0, 0]),
        (0, [0]),
    ]
    session.execute(
        delete(FollowerInteraction).where(
            FollowerInteraction.follower_id == fans["fy"].id,  # type: ignore[index]
            FollowerInteraction.occurred_at == at(11, 5),
        )
    )
    assert grid(build(session, world)) == [(3, [3, 1, 1, 1]), (2, [2, 1, 1]), (1, [1, 0]), (0, [0])]


def test_fast_path_matches_the_log(session: Session, world: dict[str, object]) -> None:
    """The trigger-kept matrix equals the one computed from the log (every type listed)."""
    types = list(session.scalars(select(FollowerInteraction.interaction_type).distinct()))
    for mode in ("on", "on_or_after"):
        for grain in ("week", "month"):
            fast = build(session, world, mode=mode, grain=grain)
            slow = build(session, world, mode=mode, grain=grain, types=types)
            assert grid(fast) == grid(slow)


def test_people_in_a_cell(session: Session, world: dict[str, object]) -> None:
    ws = world["ws"]

    def names(**kw: object) -> list[str | None]:
        people = retention.people(
            session=session,
            workspace_id=ws.id,  # type: ignore[attr-defined]
            cohort=date(2026, 11, 4),
            **kw,
        )
        return [p.username for p in people]

    assert names(period=1) == ["amy"]
    assert names(period=2, mode="on_or_after") == ["amy", "bo"]
    assert names(period=0) == ["amy", "bo", "cy"]
    assert names(period=1, types=["like"]) == []


def test_updates_that_move_periods_are_followed(session: Session, world: dict[str, object]) -> None:
    """A corrected time moves a follower's periods; the kept matrix still equals the log's."""
    session.execute(
        update(FollowerInteraction)
        .where(FollowerInteraction.follower_id == world["fans"]["fy"].id)  # type: ignore[index]
        .values(occurred_at=FollowerInteraction.occurred_at - timedelta(days=21))
    )
    session.execute(update(FollowerInteraction).values(interaction_value="edited"))  # no move
    types = list(session.scalars(select(FollowerInteraction.interaction_type).distinct()))
    for grain in ("week", "month"):
        fast = build(session, world, mode="on", grain=grain)
        assert grid(fast) == grid(build(session, world, mode="on", grain=grain, types=types))
