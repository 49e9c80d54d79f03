"""Instagram and TikTok syncs over real HTTP: exactly the simulator world's posts, comments and
metrics; faults retried, waited out or recorded; tokens refreshed and stored."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, text

from fanlens.connectors import service
from fanlens.connectors.sync import sync_account
from fanlens.db.engine import unit_of_work
from fanlens.demo.generate import World
from fanlens.simulators import ids
from fanlens.simulators.run import RunningSimulator
from tests.connectors.conftest import account_row, add_account, fast_http, recording_http
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


def credentials_of(engine: Engine, account_id: Any) -> dict[str, Any]:
    with unit_of_work(engine) as session:
        account = service.get_or_raise(session=session, account_id=account_id)
        return dict(service.config(account).credentials)


def test_a_retired_insight_metric_is_recorded_and_the_others_are_kept(
    world: World, db: Engine, start_sim, secret_key: str
) -> None:  # type: ignore[no-untyped-def]
    sim = start_sim("instagram", list(world.records()), retired_metrics=["saved"])
    account_id = add_account(db, "instagram", sim)

    result = sync_account(account_id=account_id, engine=db, http=fast_http())

    assert result.status == "succeeded", result.message
    expected = served_metrics(sim)
    for metrics in expected.values():
        metrics.pop("saves")
    assert stored_metrics(db, "instagram") == expected  # views, reach, shares… all there
    kinds = {sim.simulator.media_type(m)[1] for m in expected}  # type: ignore[attr-defined]
    rows = retired_rows(db)
    assert {(r.metric, r.media_type) for r in rows} == {("saved", k) for k in kinds}
    assert all("no longer supported" in r.message for r in rows)
    # One refused call per media type, not one per post.
    state = sim.simulator  # type: ignore[assignment]
    assert state.requests["insights"] == sum(  # type: ignore[attr-defined]
        len(INSIGHTS_PER[sim.simulator.media_type(m)[1]])
        for m in expected  # type: ignore[attr-defined]
    ) - (len(expected) - len(kinds))
    with unit_of_work(db) as session:
        report = service.health(session=session, workspace_id=_workspace(session))
    assert {m.metric for m in report.retired_metrics} == {"saved"}

    sync_account(account_id=account_id, engine=db, http=fast_http(), full=True)
    assert len(retired_rows(db)) == len(rows)  # seen again: the same rows, a later time


INSIGHTS_PER = {
    "FEED": ("views", "reach", "saved", "shares", "total_interactions"),
    "REELS": ("views", "reach", "saved", "shares", "total_interactions", "ig_reels_avg_watch_time"),
}


def _workspace(session: Any) -> Any:
    from fanlens.workspaces import repository as workspaces

    found = workspaces.get_by_name(session, "default")
    assert found is not None
    return found.id


def test_instagram_usage_at_100_percent_pauses_until_access_is_regained(
    world: World, db: Engine, start_sim, secret_key: str
) -> None:  # type: ignore[no-untyped-def]
    sim = start_sim("instagram", list(world.records()), call_limit=20)
    account_id = add_account(db, "instagram", sim)
    slept: list[float] = []

    def wait(seconds: float) -> None:  # the window turns while we wait
        slept.append(seconds)
        sim.simulator.reset_usage()  # type: ignore[attr-defined]

    result = sync_account(account_id=account_id, engine=db, http=recording_http([], sleep=wait))

    assert result.status == "succeeded", result.message
    assert len(slept) >= result.api_calls // 20 - 1 and all(s >= 60 for s in slept)
    assert stored_counts(db, "instagram") == expected_counts(world, "instagram")
    assert stored_metrics(db, "instagram") == served_metrics(sim)


def test_instagram_throttle_errors_are_waited_out(
    world: World, db: Engine, start_sim, secret_key: str
) -> None:  # type: ignore[no-untyped-def]
    sim = start_sim("instagram", list(world.records()))
    sim.set_faults(too_many_requests={"count": 2, "match": "/comments"})
    account_id = add_account(db, "instagram", sim)
    slept: list[float] = []

    result = sync_account(account_id=account_id, engine=db, http=recording_http(slept))

    assert result.status == "succeeded", result.message
    assert slept == [60.0, 120.0]  # code 4 without an estimate: a minute, then two
    assert stored_counts(db, "instagram") == expected_counts(world, "instagram")


@pytest.mark.parametrize("platform", PLATFORMS)
def test_server_errors_are_retried(
    platform: str, world: World, db: Engine, start_sim, secret_key: str
) -> None:  # type: ignore[no-untyped-def]
    sim = start_sim(platform, list(world.records()))
    match = {"instagram": "/comments", "tiktok": "/comment/list"}[platform]
    sim.set_faults(server_errors={"count": 3, "status": 500, "match": match})
    account_id = add_account(db, platform, sim)
    slept: list[float] = []

    result = sync_account(account_id=account_id, engine=db, http=recording_http(slept))

    assert result.status == "succeeded", result.message
    assert slept == [0.01, 0.02, 0.04]  # exponential backoff (TikTok's: HTTP 200, code 50002)
    assert stored_counts(db, platform) == expected_counts(world, platform)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_errors_outlasting_retries_fail_the_run_and_the_next_sync_resumes(
    platform: str, world: World, db: Engine, start_sim, secret_key: str
) -> None:  # type: ignore[no-untyped-def]
    sim = start_sim(platform, list(world.records()))
    account_id = add_account(db, platform, sim)
    match = {"instagram": "/comments", "tiktok": "/comment/reply"}[platform]
    sim.set_faults(server_errors={"count": -1, "match": match})

    failed = sync_account(account_id=account_id, engine=db, http=fast_http())

    assert failed.status == "failed" and failed.message
    assert account_row(db, account_id).status == "active"  # transient: the account is fine
    partial = sum(stored_counts(db, platform).values())
    assert partial < sum(expected_counts(world, platform).values())

    sim.clear_faults()
    resumed = sync_account(account_id=account_id, engine=db, http=fast_http())
    assert resumed.status == "succeeded", resumed.message
    assert resumed.items.get("posts", 0) < len(expected_posts(world, platform))  # kept cursor
    assert stored_counts(db, platform) == expected_counts(world, platform)  # no duplicates
    assert stored_posts(db, platform) == expected_posts(world, platform)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_malformed_item_is_rejected_and_the_sync_goes_on(
    platform: str, world: World, db: Engine, start_sim, secret_key: str
) -> None:  # type: ignore[no-untyped-def]
    sim = start_sim(platform, list(world.records()))
    match = {"instagram": "/comments", "tiktok": "/comment/list"}[platform]
    sim.set_faults(malformed={"count": 1, "match": match})
    account_id = add_account(db, platform, sim)

    result = sync_account(account_id=account_id, engine=db, http=fast_http())

    assert result.status == "succeeded", result.message
    assert result.reject_count == 1
    again = sync_account(account_id=account_id, engine=db, http=fast_http())
    assert again.reject_count == 0
    assert stored_counts(db, platform) == expected_counts(world, platform)


def test_an_expired_instagram_token_flags_the_account_needs_reauth(
    world: World, db: Engine, start_sim, secret_key: str
) -> None:  # type: ignore[no-untyped-def]
    sim = start_sim("instagram", list(world.records()))
    sim.set_faults(token="expired")
    account_id = add_account(db, "instagram", sim, credentials={"expires_at": FAR})

    result = sync_account(account_id=account_id, engine=db, http=fast_http())

    assert result.status == "needs_reauth"
    assert result.message and "reconnect" in result.message
    assert account_row(db, account_id).status == "needs_reauth"


FAR = "2099-01-01T00:00:00Z"


def test_a_long_lived_instagram_token_is_refreshed_and_stored(
    world: World, db: Engine, start_sim, secret_key: str
) -> None:  # type: ignore[no-untyped-def]
    sim = start_sim("instagram", list(world.records()), tokens=["IGQV-old"])
    soon = "2026-01-01T00:00:00Z"  # inside the refresh window (long past, in fact)
    account_id = add_account(
        db, "instagram", sim, token="IGQV-old", credentials={"expires_at": soon}
    )

    result = sync_account(account_id=account_id, engine=db, http=fast_http())

    assert result.status == "succeeded", result.message
    refreshed = sim.simulator.refreshed  # type: ignore[attr-defined]
    stored = credentials_of(db, account_id)
    assert refreshed == [stored["access_token"]] and stored["expires_at"] > soon
    again = sync_account(account_id=account_id, engine=db, http=fast_http())
    assert again.status == "succeeded" and len(refreshed) == 1  # not due again for 50 days


def test_a_deleted_instagram_account_is_marked_gone(
    world: World, db: Engine, start_sim, secret_key: str
) -> None:  # type: ignore[no-untyped-def]
    sim = start_sim("instagram", list(world.records()))
    sim.set_faults(deleted_account=True)
    account_id = add_account(db, "instagram", sim, credentials={"expires_at": FAR})

    result = sync_account(account_id=account_id, engine=db, http=fast_http())

    assert result.status == "gone", result.message
    assert account_row(db, account_id).status == "gone"


def test_an_expired_tiktok_token_is_refreshed_mid_sync_and_the_new_pair_stored(
    world: World, db: Engine, start_sim, secret_key: str
) -> None:  # type: ignore[no-untyped-def]
    sim = start_sim("tiktok", list(world.records()))
    sim.set_faults(token="expired")
    account_id = add_account(db, "tiktok", sim)

    result = sync_account(account_id=account_id, engine=db, http=fast_http())

    assert result.status == "succeeded", result.message
    stored = credentials_of(db, account_id)
    assert stored["access_token"] != "act.sim" and stored["refresh_token"] != "rft.sim"
    assert stored_counts(db, "tiktok") == expected_counts(world, "tiktok")
    # The old refresh token died when the new one was issued: only the stored one works now.
    assert "rft.sim" not in sim.simulator.refresh_tokens  # type: ignore[attr-defined]
    assert sync_account(account_id=account_id, engine=db, http=fast_http()).status == "succeeded"


def test_a_revoked_tiktok_token_flags_the_account_needs_reauth(
    world: World, db: Engine, start_sim, secret_key: str
) -> None:  # type: ignore[no-untyped-def]
    sim = start_sim("tiktok", list(world.records()))
    sim.set_faults(token="revoked")
    account_id = add_account(db, "tiktok", sim)

    result = sync_account(account_id=account_id, engine=db, http=fast_http())

    assert result.status == "needs_reauth"
    assert result.message and "reconnect" in result.message
    assert account_row(db, account_id).status == "needs_reauth"


def test_a_throttled_tiktok_comment_list_is_waited_out(
    world: World, db: Engine, start_sim, secret_key: str
) -> None:  # type: ignore[no-untyped-def]
    sim = start_sim("tiktok", list(world.records()))
    sim.set_faults(too_many_requests={"count": 2, "match": "/comment/list"})
    account_id = add_account(db, "tiktok", sim)
    slept: list[float] = []

    result = sync_account(account_id=account_id, engine=db, http=recording_http(slept))

    assert result.status == "succeeded", result.message
    assert slept == [10.0, 20.0]  # code 40100 (HTTP 200): TikTok's minute windows
    assert stored_counts(db, "tiktok") == expected_counts(world, "tiktok")


@pytest.mark.parametrize("platform", PLATFORMS)
def test_an_endpoint_that_disappears_fails_cleanly(
    platform: str, world: World, db: Engine, start_sim, secret_key: str
) -> None:  # type: ignore[no-untyped-def]
    sim = start_sim(platform, list(world.records()))
    sim.set_faults(gone=["/media" if platform == "instagram" else "/video/list"])
    account_id = add_account(db, platform, sim, credentials={"expires_at": FAR})

    result = sync_account(account_id=account_id, engine=db, http=fast_http())

    assert result.status == "failed" and result.message
    assert account_row(db, account_id).status == "active"
    assert account_row(db, account_id).last_error == result.message


def test_long_reply_threads_page_through_the_replies_edge(
    db: Engine, start_sim, secret_key: str
) -> None:  # type: ignore[no-untyped-def]
    post = {
        "type": "post",
        "platform": "instagram",
        "external_post_id": "ig-long",
        "caption": "a busy one",
        "posted_at": "2026-03-01T12:00:00Z",
    }
    replies = [
        {"type": "interaction", "platform": "instagram", "interaction_type": "reply",
         "external_post_id": "ig-long", "external_id": f"r{n}", "text": f"reply {n}",
         "parent_external_id": "parent-ig-long", "occurred_at": f"2026-03-01T13:{n:02d}:00Z",
         "user": {"external_user_id": f"fan{n}", "username": f"fan{n}"}}
        for n in range(60)
    ]  # fmt: skip
    sim = start_sim("instagram", [post, *replies])
    account_id = add_account(db, "instagram", sim)

    result = sync_account(account_id=account_id, engine=db, http=fast_http())

    assert result.status == "succeeded", result.message
    assert result.items["comments"] == 60
    # 25 inline with the comment, the other 35 in one page of the replies edge (limit 50).
    assert sim.simulator.requests["replies"] == 1  # type: ignore[attr-defined]
    with db.connect() as conn:
        parents = (
            conn.execute(text("SELECT DISTINCT parent_external_id FROM follower_interactions"))
            .scalars()
            .all()
        )
    assert parents == [ids.instagram_comment_id("parent-ig-long")]
