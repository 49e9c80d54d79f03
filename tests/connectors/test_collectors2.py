"""Instagram and TikTok syncs over real HTTP: exactly the simulator world's posts, comments and
metrics; faults retried, waited out or recorded; tokens refreshed and stored."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, text

from fanlens.connectors import service
from fanlens.connectors.sync import sync_account
from fanlens.db.engine import unit_of_work
from fanlens.interactions.generate import World
from fanlens.simulators import ids
from fanlens.simulators.run import RunningSimulator
from tests.connectors.conftest import add_account, fast_http
from tests.connectors.expectations import (
    expected_counts,
    expected_posts,
    interaction_total,
    stored_counts,
    stored_posts,
)

PLATFORMS = ["instagram", "tiktok"]


def stored_metrics(engine: Engine, platform: str) -> dict[str, dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT external_post_id, views, likes, comments, shares, saves, extra_metrics "
                "FROM content_posts WHERE platform = :p AND NOT is_placeholder"
            ),
            {"p": platform},
        )
        return {
            r.external_post_id: {
                k: v
                for k, v in {
                    "views": r.views,
                    "likes": r.likes,
                    "comments": r.comments,
                    "shares": r.shares,
                    "saves": r.saves,
                    **r.extra_metrics,
                }.items()
                if v is not None
            }
            for r in rows
        }


def served_metrics(sim: RunningSimulator) -> dict[str, dict[str, Any]]:
    """What the simulator's world reports for each post, in the platform's own ids."""
    world, found = sim.simulator.world, {}
    for post in world.posts.values():
        counts = sim.simulator.counts(post)  # type: ignore[attr-defined]
        if sim.platform == "tiktok":
            found[ids.tiktok_video_id(post.external_post_id)] = {
                "views": counts["view_count"],
                "likes": counts["like_count"],
                "comments": counts["comment_count"],
                "shares": counts["share_count"],
            }
            continue
        media_id = ids.instagram_media_id(post.external_post_id)
        _, product = sim.simulator.media_type(media_id)  # type: ignore[attr-defined]
        metrics = {
            "likes": counts["like_count"],
            "comments": counts["comments_count"],
            "views": counts["views"],
            "reach": counts["reach"],
            "saves": counts["saved"],
            "shares": counts["shares"],
            "total_interactions": counts["total_interactions"],
        }
        if product == "REELS":
            metrics["ig_reels_avg_watch_time"] = counts["ig_reels_avg_watch_time"]
        found[media_id] = metrics
    return found


def retired_rows(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT metric, media_type, message FROM connector_retired_metrics ORDER BY 1, 2")
        ).all()


@pytest.mark.parametrize("platform", PLATFORMS)
def test_sync_stores_exactly_the_world_and_a_second_adds_nothing(
    platform: str, world: World, db: Engine, start_sim, secret_key: str
) -> None:  # type: ignore[no-untyped-def]
    sim = start_sim(platform, list(world.records()))
    account_id = add_account(db, platform, sim)

    first = sync_account(account_id=account_id, engine=db, http=fast_http())

    assert first.status == "succeeded", first.message
    assert stored_posts(db, platform) == expected_posts(world, platform)
    assert stored_counts(db, platform) == expected_counts(world, platform)
    assert sum(stored_counts(db, platform).values()) > 0
    assert stored_metrics(db, platform) == served_metrics(sim)
    total = interaction_total(db)

    second = sync_account(account_id=account_id, engine=db, http=fast_http())
    assert second.status == "succeeded", second.message
    assert second.inserted == 0 and interaction_total(db) == total
    assert second.api_calls < first.api_calls
    third = sync_account(account_id=account_id, engine=db, http=fast_http(), full=True)
    assert third.inserted == 0 and interaction_total(db) == total
