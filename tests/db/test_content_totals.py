"""content_engagement_totals follows its content item's posts through every change, and
always equals the origin's cross-platform summary view."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.fixtures.builders import create_content, create_post, create_workspace

COLUMNS = (
    "platform_count, platforms, first_posted_at, total_views, total_likes, total_comments, "
    "total_shares, total_saves, total_engagement, best_platform"
)


def _totals(session: Session, content_id: Any) -> dict[str, Any]:
    row = session.execute(
        text(f"SELECT {COLUMNS} FROM content_engagement_totals WHERE content_id = :id"),
        {"id": content_id},
    ).one()
    return dict(row._mapping)


def _from_view(session: Session, content_id: Any) -> dict[str, Any]:
    row = session.execute(
        text(f"SELECT {COLUMNS} FROM content_cross_platform_summary WHERE content_id = :id"),
        {"id": content_id},
    ).one()
    return dict(row._mapping)


def test_totals_follow_inserts_updates_moves_and_deletes(session: Session) -> None:
    ws = create_workspace(session)
    brew = create_content(session, ws, slug="brew")
    latte = create_content(session, ws, slug="latte")
    assert _totals(session, brew.id)["platform_count"] == 0  # a row from the start

    tiktok = create_post(session, brew, platform="tiktok", views=1000, likes=100, comments=20)
    create_post(session, brew, platform="instagram", views=500, likes=50, saves=10)
    session.flush()
    assert _totals(session, brew.id) == _from_view(session, brew.id)
    assert _totals(session, brew.id)["total_engagement"] == 180
    assert _totals(session, brew.id)["best_platform"] == "tiktok"

    session.execute(text("UPDATE content_posts SET likes = 900 WHERE platform = 'instagram'"))
    assert _totals(session, brew.id)["best_platform"] == "instagram"
    assert _totals(session, brew.id) == _from_view(session, brew.id)

    session.execute(
        text("UPDATE content_posts SET content_id = :latte WHERE id = :id"),
        {"latte": latte.id, "id": tiktok.id},
    )
    assert _totals(session, brew.id)["platforms"] == ["instagram"]
    assert _totals(session, latte.id) == _from_view(session, latte.id)
    assert _totals(session, latte.id)["total_engagement"] == 120

    session.execute(text("DELETE FROM content_posts WHERE id = :id"), {"id": tiktok.id})
    assert _totals(session, latte.id)["platform_count"] == 0
    assert _totals(session, latte.id)["total_engagement"] == 0
