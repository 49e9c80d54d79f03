"""Syncs over real HTTP against the platform simulators, stored through the ingest pipeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text

from fanlens.connectors.sync import sync_account
from fanlens.demo.generate import World
from tests.connectors.conftest import add_account, fast_http
from tests.connectors.expectations import (
    expected_counts,
    expected_posts,
    interaction_total,
    post_id,
    stored_counts,
    stored_posts,
)


@pytest.mark.parametrize("platform", ["youtube", "bluesky", "mastodon"])
def test_full_sync_stores_exactly_the_world_and_a_second_adds_nothing(
    platform: str, world: World, db: Engine, start_sim, secret_key: str
) -> None:  # type: ignore[no-untyped-def]
    sim = start_sim(platform, list(world.records()))
    account_id = add_account(db, platform, sim)

    first = sync_account(account_id=account_id, engine=db, http=fast_http())
    assert first.status == "succeeded", first.message
    assert stored_posts(db, platform) == expected_posts(world, platform)
    assert stored_counts(db, platform) == expected_counts(world, platform)

    total = interaction_total(db)
    second = sync_account(account_id=account_id, engine=db, http=fast_http())
    assert second.status == "succeeded", second.message
    assert second.inserted == 0
    assert interaction_total(db) == total
    assert second.api_calls < first.api_calls


def test_incremental_sync_fetches_only_what_is_new(
    world: World, db: Engine, start_sim, secret_key: str
) -> None:  # type: ignore[no-untyped-def]
    sim = start_sim("bluesky", list(world.records()))
    account_id = add_account(db, "bluesky", sim)
    full = sync_account(account_id=account_id, engine=db, http=fast_http())
    before = stored_counts(db, "bluesky")

    new_records = new_activity(world, "bluesky")
    assert sim.add_records(new_records) == len(new_records)
    again = sync_account(account_id=account_id, engine=db, http=fast_http())

    assert again.status == "succeeded", again.message
    new_interactions = [r for r in new_records if r["type"] == "interaction"]
    assert again.inserted == len(new_interactions)
    assert sum(stored_counts(db, "bluesky").values()) == sum(before.values()) + len(
        new_interactions
    )
    # Only the new post's engagement is read, not every post's again.
    assert full.items["engagement"] > len(new_interactions)
    assert again.items["engagement"] == len(new_interactions)
    assert again.api_calls < full.api_calls
    assert stored_posts(db, "bluesky") == expected_posts(world, "bluesky") | {
        post_id("bluesky", new_records[0])
    }


def new_activity(world: World, platform: str) -> list[dict[str, object]]:
    """A new post after the world's last one, a new fan, and their comment and like on it."""
    posts = [r for r in world.records() if r["type"] == "post" and r["platform"] == platform]
    latest = max(datetime.fromisoformat(p["posted_at"].replace("Z", "+00:00")) for p in posts)
    at = (latest + timedelta(hours=2)).isoformat().replace("+00:00", "Z")
    later = (latest + timedelta(hours=3)).isoformat().replace("+00:00", "Z")
    fan = {"external_user_id": "newfan0001", "username": "newfan", "display_name": "New Fan"}
    post = {
        "type": "post",
        "platform": platform,
        "external_post_id": "newpost0001",
        "caption": "a new one",
        "posted_at": at,
        "metrics": {"views": 10},
    }
    base = {"type": "interaction", "platform": platform, "user": fan}
    return [
        post,
        {"type": "follower", "platform": platform, **fan},
        {**base, "interaction_type": "comment", "external_post_id": "newpost0001",
         "external_id": "newcomment0001", "text": "first!", "occurred_at": later},
        {**base, "interaction_type": "like", "external_post_id": "newpost0001",
         "occurred_at": later},
    ]  # fmt: skip


def precisions(engine: Engine, platform: str) -> dict[str, set[str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT interaction_type, array_agg(DISTINCT time_precision) "
                "FROM follower_interactions WHERE platform = :p GROUP BY 1"
            ),
            {"p": platform},
        )
        return {kind: set(values) for kind, values in rows}


def test_mastodon_with_a_token_takes_exact_times_from_notifications(
    world: World, db: Engine, start_sim, secret_key: str
) -> None:  # type: ignore[no-untyped-def]
    sim = start_sim("mastodon", list(world.records()))
    account_id = add_account(db, "mastodon", sim, token="user-token")

    result = sync_account(account_id=account_id, engine=db, http=fast_http())

    assert result.status == "succeeded", result.message
    assert stored_counts(db, "mastodon") == expected_counts(world, "mastodon", token=True)
    found = precisions(db, "mastodon")
    assert found["like"] == found["follow"] == found["comment"] == {"exact"}
    assert sync_account(account_id=account_id, engine=db, http=fast_http()).inserted == 0


def test_time_is_exact_only_where_the_api_gives_the_actions_time(
    world: World, db: Engine, start_sim, secret_key: str
) -> None:  # type: ignore[no-untyped-def]
    for platform in ("youtube", "bluesky", "mastodon"):
        sim = start_sim(platform, list(world.records()))
        sync_account(account_id=add_account(db, platform, sim), engine=db, http=fast_http())
    assert precisions(db, "youtube") == {"comment": {"exact"}, "reply": {"exact"}}
    bluesky = precisions(db, "bluesky")
    assert bluesky["like"] == bluesky["comment"] == bluesky["quote"] == {"exact"}
    assert bluesky["repost"] == bluesky["follow"] == {"observed"}
    mastodon = precisions(db, "mastodon")
    assert mastodon["comment"] == {"exact"}
    assert mastodon["like"] == mastodon["repost"] == mastodon["follow"] == {"observed"}


def test_incremental_youtube_sync_finds_new_comments_on_old_videos(
    world: World, db: Engine, start_sim, secret_key: str
) -> None:  # type: ignore[no-untyped-def]
    sim = start_sim("youtube", list(world.records()))
    account_id = add_account(db, "youtube", sim)
    full = sync_account(account_id=account_id, engine=db, http=fast_http())
    oldest = min(
        (r for r in world.records() if r["type"] == "post" and r["platform"] == "youtube"),
        key=lambda r: r["posted_at"],
    )
    fan = {"external_user_id": "UCnewfan000000000000001", "username": "latecomer"}
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    sim.add_records(
        [
            {"type": "interaction", "platform": "youtube", "interaction_type": "comment",
             "external_post_id": oldest["external_post_id"], "external_id": "Ugz-late-comment",
             "text": "still great years later", "occurred_at": now, "user": fan},
        ]
    )  # fmt: skip

    again = sync_account(account_id=account_id, engine=db, http=fast_http())

    assert again.status == "succeeded", again.message
    assert again.inserted == 1
    assert stored_counts(db, "youtube")[(fan["external_user_id"], "comment")] == 1
    assert again.api_calls < full.api_calls
