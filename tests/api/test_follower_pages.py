"""The followers list by score is read in two parts (positive scores off the score index, then
everyone at zero or below): walking it page by page must still give every follower once, in
(score, id) order, with followers without a score row and with a zero score row among them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from fanlens.audience import service
from fanlens.audience.repository import FollowerFilters
from fanlens.audience.schemas import FollowerDetail, FollowerSort
from fanlens.interactions import activity
from fanlens.interactions.repository import ActivityFilters
from fanlens.kit.pagination import Order
from tests.fixtures.builders import create_follower, create_workspace
from tests.scoring.helpers import T0, insert_batch


@pytest.mark.parametrize("order", ["desc", "asc"])
@pytest.mark.parametrize("limit", [1, 2, 3, 50])
def test_pages_by_score_walk_every_follower_once(
    session: Session, order: Order, limit: int
) -> None:
    ws = create_workspace(session)
    fans = [create_follower(session, ws, platform=("tiktok", "youtube")[i % 2]) for i in range(9)]
    kinds = ["comment", "like", "comment", "duet", "like", "duet"]  # duet weighs 0 by default
    rows = [(fans[i], kind, T0 + timedelta(hours=i)) for i, kind in enumerate(kinds)]
    insert_batch(session, rows)
    # fans 6..8 have no score row; 3 and 5 a zero score; 1 and 4 tie at 1; 0 and 2 tie at 5.

    def walk(filters: FollowerFilters) -> list[tuple[float, str]]:
        seen, cursor = [], None
        while True:
            page = service.list_followers(
                session=session, workspace_id=ws.id, filters=filters,
                sort="engagement_score", order=order, cursor=cursor, limit=limit,
            )  # fmt: skip
            seen += [(float(f.engagement_score), str(f.id)) for f in page.items]
            if page.next_cursor is None:
                return seen
            cursor = page.next_cursor

    expected = sorted(
        [(5.0, str(fans[i].id)) for i in (0, 2)]
        + [(1.0, str(fans[i].id)) for i in (1, 4)]
        + [(0.0, str(fans[i].id)) for i in (3, 5, 6, 7, 8)],
        reverse=order == "desc",
    )
    assert walk(FollowerFilters()) == expected
    youtube = {str(f.id) for f in fans[1::2]}
    assert walk(FollowerFilters(platform="youtube")) == [e for e in expected if e[1] in youtube]
    inactive = [e for e in expected if e[0] < 10]
    assert walk(FollowerFilters(tier="inactive")) == inactive


@pytest.mark.parametrize("order", ["desc", "asc"])
@pytest.mark.parametrize("sort", ["last_seen_at", "username", "comment_count", "interaction_count"])
def test_pages_by_other_sorts_walk_every_follower_once(
    session: Session, sort: FollowerSort, order: Order
) -> None:
    """One page at a time equals one page of everything, through ties and the followers never
    seen (NULL last_seen_at, after the others in either order)."""
    ws = create_workspace(session)
    fans = [create_follower(session, ws, username=f"fan_{i % 4}") for i in range(7)]
    kinds = ["comment", "like", "comment", "comment"]
    insert_batch(
        session, [(fans[i], kind, T0 + timedelta(hours=i % 2)) for i, kind in enumerate(kinds)]
    )

    def page(cursor: str | None, limit: int) -> tuple[list[str], str | None]:
        got = service.list_followers(
            session=session, workspace_id=ws.id, filters=FollowerFilters(),
            sort=sort, order=order, cursor=cursor, limit=limit,
        )  # fmt: skip
        if sort == "last_seen_at" and limit == 50:  # the NULL region is really walked
            seen = [f.last_seen_at for f in got.items]
            assert None in seen and any(seen)
        return [str(f.id) for f in got.items], got.next_cursor

    everything, _ = page(None, 50)
    walked, cursor = page(None, 1)
    while cursor is not None:
        more, cursor = page(cursor, 1)
        walked += more
    assert walked == everything
    assert sorted(everything) == sorted(str(f.id) for f in fans)


@pytest.mark.parametrize(
    "kinds",
    [
        ["comment", "like"] * 3,  # the whole timeline on its first page
        ["comment"] * 30 + ["like"] * 40,  # not all of it, but enough comments on it
        ["comment"] * 25 + ["like"] * 50,  # the comments lie beyond the first page
        ["comment", "like", "like"] * 30,  # some on the first page, more beyond it
    ],
)
def test_detail_comments_are_the_newest_comments(session: Session, kinds: list[str]) -> None:
    """The detail reads the newest comments off the timeline's first page when it can; it
    must give what the activity log gives for the follower's comments, on any timeline page."""
    ws = create_workspace(session)
    fan = create_follower(session, ws)
    insert_batch(session, [(fan, kind, T0 + timedelta(minutes=i)) for i, kind in enumerate(kinds)])
    newest = activity.query(
        session=session,
        workspace_id=ws.id,
        filters=ActivityFilters(follower_id=fan.id, interaction_type="comment"),
        order="desc",
        cursor=None,
    )
    expected = activity.page(session=session, query=newest, order="desc", limit=20).items
    assert expected  # every case has comments

    def detail(cursor: str | None) -> FollowerDetail:
        return service.get_detail(
            session=session, workspace_id=ws.id, follower_id=fan.id,
            activity_cursor=cursor, activity_limit=50,
        )  # fmt: skip

    first = detail(None)
    assert [c.id for c in first.comments] == [c.id for c in expected]
    if first.activity.next_cursor:
        assert [c.id for c in detail(first.activity.next_cursor).comments] == [
            c.id for c in expected
        ]
