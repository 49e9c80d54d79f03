"""The activity log read through its compiled statements: one per filter shape, run by psycopg.

A username held on two platforms (the "many followers" shape), keyset pages in both orders with
two interactions at the same instant, and the CSV export of the same question.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from fanlens.db.engine import unit_of_work
from fanlens.interactions import activity
from fanlens.interactions.repository import ActivityFilters
from fanlens.kit.errors import NotFound
from fanlens.kit.pagination import Order
from tests.fixtures.builders import (
    create_content,
    create_follower,
    create_post,
    create_workspace,
    interact,
)


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def _world(url: str) -> tuple[uuid.UUID, list[tuple[datetime, uuid.UUID]]]:
    """Workspace A: creator_amy on tiktok and on instagram, and another fan; workspace B has a
    creator_amy of its own. Returns A's id and (time, id) of amy's comments in A."""
    engine = create_engine(url, poolclass=NullPool)
    comments = []
    with unit_of_work(engine) as session:
        a, b = create_workspace(session, "a"), create_workspace(session, "b")
        post = create_post(session, create_content(session, a, slug="brew"), platform="tiktok")
        b_post = create_post(session, create_content(session, b, slug="b"), platform="tiktok")
        amy_tt = create_follower(session, a, platform="tiktok", username="creator_amy")
        amy_ig = create_follower(session, a, platform="instagram", username="Creator_Amy")
        other = create_follower(session, a, platform="tiktok", username="other")
        b_amy = create_follower(session, b, platform="tiktok", username="creator_amy")
        for fan, when in ((amy_tt, at(1)), (amy_ig, at(2)), (amy_tt, at(3)), (amy_ig, at(4)),
                          (amy_tt, at(8)), (amy_ig, at(8))):  # fmt: skip
            recorded = interact(session, fan, "comment", post=post, occurred_at=when, value="hi")
            comments.append((when, recorded.interaction.id))
        interact(session, amy_ig, "like", post=post, occurred_at=at(6))
        interact(session, other, "comment", post=post, occurred_at=at(7), value="not amy")
        interact(session, b_amy, "comment", post=b_post, occurred_at=at(5), value="B secret")
        workspace_id = a.id
    engine.dispose()
    return workspace_id, comments


def _pages(url: str, ws: uuid.UUID, filters: ActivityFilters, order: Order) -> list[uuid.UUID]:
    engine = create_engine(url, poolclass=NullPool)
    seen: list[uuid.UUID] = []
    cursor = None
    with unit_of_work(engine) as session:
        while True:
            query = activity.query(
                session=session, workspace_id=ws, filters=filters, order=order, cursor=cursor
            )
            page = activity.page(session=session, query=query, order=order, limit=2)
            seen += [item.id for item in page.items]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
    engine.dispose()
    return seen


def test_a_username_on_two_platforms_pages_through_every_comment_once(
    fresh_database_url: str,
) -> None:
    ws, comments = _world(fresh_database_url)
    newest_first = [i for _, i in sorted(comments, reverse=True)]  # ties: the larger id first
    filters = ActivityFilters(username="@CREATOR_AMY", interaction_type="comment")

    assert _pages(fresh_database_url, ws, filters, "desc") == newest_first
    assert _pages(fresh_database_url, ws, filters, "asc") == newest_first[::-1]
    since = ActivityFilters(username="creator_amy", interaction_type="comment", since=at(3))
    assert _pages(fresh_database_url, ws, since, "desc") == newest_first[:4]
    nobody = ActivityFilters(username="nobody")
    with pytest.raises(NotFound, match="'nobody'"):
        _pages(fresh_database_url, ws, nobody, "desc")
    b_only = ActivityFilters(username="creator_amy", platform="youtube")
    assert _pages(fresh_database_url, ws, b_only, "desc") == []  # held, but nothing matches


def test_the_export_holds_the_pages_rows(fresh_database_url: str) -> None:
    ws, comments = _world(fresh_database_url)
    filters = ActivityFilters(username="creator_amy", interaction_type="comment")
    engine = create_engine(fresh_database_url, poolclass=NullPool)
    with unit_of_work(engine) as session:
        query = activity.query(
            session=session, workspace_id=ws, filters=filters, order="desc", cursor=None
        )
        exported = list(activity.export(engine=engine, query=query))
        first_page = activity.page(session=session, query=query, order="desc", limit=50)
    engine.dispose()
    assert exported == first_page.items
    assert [item.id for item in exported] == [i for _, i in sorted(comments, reverse=True)]
    assert {item.username for item in exported} == {"creator_amy", "Creator_Amy"}
