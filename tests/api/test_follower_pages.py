"""The followers list by score is read in two parts (positive scores off the score index, then
everyone at zero or below): walking it page by page must still give every follower once, in
(score, id) order, with followers without a score row and with a zero score row among them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from fanlens.audience import service
from fanlens.audience.repository import FollowerFilters
from fanlens.audience.schemas import FollowerSort
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
