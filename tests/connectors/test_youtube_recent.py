"""YouTube's faster poll of recent videos and the daily quota fanlens counts, against the
YouTube simulator over real HTTP (which charges each call to its own quota and records which
videos' comment threads were asked for)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from fanlens.config import settings
from fanlens.connectors import repository
from fanlens.connectors.scheduling import recent_account_ids, run_sync
from fanlens.connectors.sync import QuotaBudgetSpent, sync_account
from fanlens.connectors.youtube import YouTubeConnector
from fanlens.db.engine import unit_of_work
from fanlens.demo.generate import World
from fanlens.kit.timeutil import utcnow
from fanlens.simulators.run import RunningSimulator
from tests.connectors.conftest import add_account, fast_http
from tests.connectors.expectations import stored_counts


def youtube_posts(world: World) -> list[dict[str, Any]]:
    posts = [r for r in world.records() if r["type"] == "post" and r["platform"] == "youtube"]
    return sorted(posts, key=lambda r: r["posted_at"])


def posted(post: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(post["posted_at"].replace("Z", "+00:00"))


def sim_state(sim: RunningSimulator) -> dict[str, Any]:
    return dict(httpx.get(f"{sim.root_url}/_sim/state", timeout=10).json())


def new_comment(post: dict[str, Any], n: int) -> list[dict[str, Any]]:
    """A new comment on `post`, and the post again with its comment count moved on (the
    counts the poll compares)."""
    fan = {"external_user_id": f"UCrecentfan00000000000{n:02d}", "username": f"fan{n}"}
    count = int(post.get("metrics", {}).get("comments", 0)) + 1
    moved = {**post, "metrics": {**post.get("metrics", {}), "comments": count}}
    comment = {
        "type": "interaction", "platform": "youtube", "interaction_type": "comment",
        "external_post_id": post["external_post_id"], "external_id": f"Ugz-recent-{n}",
        "text": "first!", "occurred_at": utcnow().isoformat(), "user": fan,
    }  # fmt: skip
    return [moved, comment]


def quota_counted(db: Engine, account_id: Any) -> int:
    day = YouTubeConnector.quota_day(utcnow())
    with unit_of_work(db) as session:
        return repository.quota_used(session, [account_id], day=day)[account_id]


def test_the_recent_poll_reads_the_comments_of_videos_inside_the_window_only(
    world: World, db: Engine, start_sim, secret_key: str
) -> None:  # type: ignore[no-untyped-def]
    sim = start_sim("youtube", list(world.records()))
    account_id = add_account(db, "youtube", sim)
    assert sync_account(account_id=account_id, engine=db, http=fast_http()).status == "succeeded"
    posts = youtube_posts(world)
    old, newest = posts[0], posts[-1]
    sim.add_records(new_comment(old, 1) + new_comment(newest, 2))
    asked_before = len(sim_state(sim)["videos_asked"])
    since = posted(newest) - timedelta(hours=1)
    inside = {p["external_post_id"] for p in posts if posted(p) >= since}

    poll = sync_account(account_id=account_id, engine=db, http=fast_http(), recent_since=since)

    assert poll.status == "succeeded", poll.message
    asked = sim_state(sim)["videos_asked"][asked_before:]
    assert asked and set(asked) <= inside and old["external_post_id"] not in asked
    counts = stored_counts(db, "youtube")
    assert counts[("UCrecentfan0000000000002", "comment")] == 1
    assert ("UCrecentfan0000000000001", "comment") not in counts  # left to the regular sync


def test_accounts_with_a_video_in_the_window_are_picked_for_the_recent_poll(
    world: World,
    db: Engine,
    start_sim,  # type: ignore[no-untyped-def]
    secret_key: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sim = start_sim("youtube", list(world.records()))
    account_id = add_account(db, "youtube", sim)
    newest = posted(youtube_posts(world)[-1])
    assert recent_account_ids("youtube", newest, engine=db) == []  # no video known yet
    sync_account(account_id=account_id, engine=db, http=fast_http())
    monkeypatch.setattr(settings, "youtube_recent_hours", 2)

    assert recent_account_ids("youtube", newest + timedelta(hours=1), engine=db) == [account_id]
    assert recent_account_ids("youtube", newest + timedelta(hours=3), engine=db) == []


def test_the_quota_counted_is_what_the_simulator_charged_and_a_poll_stops_at_the_budget(
    world: World,
    db: Engine,
    start_sim,  # type: ignore[no-untyped-def]
    secret_key: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sim = start_sim("youtube", list(world.records()))
    account_id = add_account(db, "youtube", sim)
    first = sync_account(account_id=account_id, engine=db, http=fast_http())
    charged = sim_state(sim)["quota"]["used"]
    assert first.quota_used == charged == quota_counted(db, account_id) > 0

    posts = youtube_posts(world)
    for n, post in enumerate(posts, start=10):  # every video has a new comment to read
        sim.add_records(new_comment(post, n))
    budget = charged + 3  # room for channels, playlistItems and videos, then one thread page
    since = posted(posts[0]) - timedelta(hours=1)
    stopped = sync_account(
        account_id=account_id,
        engine=db,
        http=fast_http(),
        recent_since=since,
        quota_budget=budget,
    )

    assert stopped.status == "failed" and "quota budget" in (stopped.message or "")
    assert sim_state(sim)["quota"]["used"] == quota_counted(db, account_id) == budget
    with pytest.raises(QuotaBudgetSpent):
        sync_account(
            account_id=account_id,
            engine=db,
            http=fast_http(),
            recent_since=since,
            quota_budget=budget,
        )
    monkeypatch.setattr(settings, "youtube_recent_quota", budget)
    skipped = run_sync(account_id, recent="youtube", engine=db)
    assert skipped["status"] == "skipped" and "quota units" in skipped["reason"]
    assert sim_state(sim)["quota"]["used"] == budget  # a skipped poll asks nothing
