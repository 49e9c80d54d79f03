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


# platform_post_totals recounted from the posts, as the rows would read if derived once.
RECOUNT = """
SELECT platform, count(*), coalesce(sum(views), 0), count(views), coalesce(sum(likes), 0),
       count(likes), coalesce(sum(comments), 0), count(comments), coalesce(sum(shares), 0),
       count(shares), coalesce(sum(saves), 0), count(saves), count(*) FILTER (WHERE views > 0),
       coalesce(sum(views) FILTER (WHERE views > 0), 0),
       coalesce(sum(coalesce(likes, 0) + coalesce(comments, 0) + coalesce(shares, 0)
                    + coalesce(saves, 0)) FILTER (WHERE views > 0), 0)
FROM content_posts WHERE workspace_id = :ws GROUP BY platform
"""
KEPT = """
SELECT platform, posts, views, views_reported, likes, likes_reported, comments,
       comments_reported, shares, shares_reported, saves, saves_reported, viewed_posts,
       viewed_views, viewed_engagement
FROM platform_post_totals WHERE workspace_id = :ws
"""


def _platform_totals(session: Session, ws: Any) -> tuple[set[Any], set[Any]]:
    """(kept, recounted) for the workspace."""
    kept = {tuple(r) for r in session.execute(text(KEPT), {"ws": ws})}
    return kept, {tuple(r) for r in session.execute(text(RECOUNT), {"ws": ws})}


def test_platform_totals_equal_a_recount_through_every_change(session: Session) -> None:
    ws, other = create_workspace(session), create_workspace(session)
    brew = create_content(session, ws, slug="brew")
    latte = create_content(session, ws, slug="latte")
    create_post(session, create_content(session, other, slug="x"), platform="tiktok", views=7)

    def same() -> set[Any]:
        session.flush()
        kept, recounted = _platform_totals(session, ws.id)
        assert kept == recounted
        return kept

    assert same() == set()
    tiktok = create_post(session, brew, platform="tiktok", views=1000, likes=100, comments=20)
    create_post(session, brew, platform="instagram", views=500, likes=50, saves=10)
    create_post(session, latte, platform="tiktok", views=0, likes=5)  # no views: not "viewed"
    create_post(session, latte, platform="bluesky", likes=3)  # reports no views at all
    assert {r[0]: r[1] for r in same()} == {"tiktok": 2, "instagram": 1, "bluesky": 1}

    session.execute(
        text("UPDATE content_posts SET likes = 900, shares = 4 WHERE platform = 'instagram'")
    )
    session.execute(text("UPDATE content_posts SET views = 40 WHERE platform = 'bluesky'"))
    same()
    # A relink moves a post to another item: the platform's totals stay, and are not written.
    versions = "SELECT array_agg(ctid ORDER BY platform)::text FROM platform_post_totals"
    written = session.scalar(text(versions))
    session.execute(
        text("UPDATE content_posts SET content_id = :latte WHERE id = :id"),
        {"latte": latte.id, "id": tiktok.id},
    )
    same()
    assert session.scalar(text(versions)) == written
    session.execute(
        text("UPDATE content_posts SET platform = 'youtube' WHERE platform = 'bluesky'")
    )
    assert "bluesky" not in {r[0] for r in same()}  # a platform without posts has no row

    session.execute(text("DELETE FROM content_posts WHERE id = :id"), {"id": tiktok.id})
    same()
    session.execute(text("DELETE FROM content_items WHERE id = :id"), {"id": latte.id})
    assert {r[0] for r in same()} == {"instagram"}
    session.execute(text("DELETE FROM workspaces WHERE id = :id"), {"id": ws.id})
    assert same() == set()
    kept, recounted = _platform_totals(session, other.id)  # another workspace untouched
    assert kept == recounted and len(kept) == 1
