"""Bluesky live deletes and edits over a real WebSocket: likes, reposts and follows the stream
stored (found by their record) or a poll stored (found by reconciling the fan's repo), and
updated replies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Engine, text

from fanlens.demo.generate import World
from fanlens.simulators import ids
from tests.connectors.live_helpers import Live, posts_of, wait
from tests.connectors.test_live_bluesky import (
    FAN_DID,
    _delete_event,
    _interaction,
    _post_of,
    _rows,
    live,
)

__all__ = ["live"]  # the fixture, shared with test_live_bluesky


def _score(db: Engine) -> int:
    with db.connect() as conn:
        score = conn.execute(
            text(
                "SELECT s.engagement_score FROM follower_engagement_scores s"
                " JOIN followers f ON f.id = s.follower_id WHERE f.external_user_id = :did"
            ),
            {"did": FAN_DID},
        ).scalar()
    return int(score or 0)


def _kinds(db: Engine) -> list[str]:
    return sorted(r.interaction_type for r in _rows(db))


def _raw(live: Live, *events: dict[str, Any]) -> list[dict[str, Any]]:
    """Stream events as given (the world is left as it is); waits until they are stored."""
    response = httpx.post(f"{live.sim.root_url}/_sim/jetstream/emit", json={"events": events})
    sent = list(response.json()["events"])
    wait(lambda: (live.cursor() or 0) >= sent[-1]["time_us"], "the events' cursor")
    return sent


def _poll(live: Live) -> int:
    """A full poll: every post's likes, reposts and followers are read again."""
    return live.poll(full=True)


def test_a_like_the_stream_stored_leaves_when_deleted_and_the_score_follows(
    live: Live, world: World
) -> None:
    post = _post_of(world)
    live.sim.emit([_interaction("comment", post, "2026-04-01T10:00:00Z", external_id="c-d1")])
    wait(lambda: len(_rows(live.db)) == 1, "the comment")
    without_like = _score(live.db)
    like = _interaction("like", post, "2026-04-01T10:00:01.250Z")
    [created] = live.sim.emit([like])
    wait(lambda: len(_rows(live.db)) == 2, "the like")
    record_uri = f"at://{FAN_DID}/app.bsky.feed.like/{created['commit']['rkey']}"
    assert {r.interaction_type: r.external_id for r in _rows(live.db)}["like"] == record_uri
    assert _score(live.db) > without_like

    [deleted] = live.sim.delete([like])  # the fan unlikes: the world and the stream say so
    wait(lambda: (live.cursor() or 0) >= deleted["time_us"], "the delete's cursor")
    assert _kinds(live.db) == ["comment"]
    assert _score(live.db) == without_like
    assert live.runner.counts.deleted == 1
    assert _poll(live) == 0


def test_a_repost_the_stream_stored_stays_deleted_though_the_appview_still_lists_it(
    live: Live, world: World
) -> None:
    [created] = live.sim.emit([_interaction("repost", _post_of(world), "2026-04-02T09:00:00Z")])
    wait(lambda: _kinds(live.db) == ["repost"], "the repost")
    commit = created["commit"]
    _raw(live, _delete_event(FAN_DID, commit["collection"], commit["rkey"]))
    assert _rows(live.db) == []
    assert _poll(live) == 0  # getRepostedBy still names the fan: the tombstone keeps it out
    assert _rows(live.db) == []


def test_a_like_and_a_follow_a_poll_stored_leave_by_reconciling_the_fans_repo(
    live: Live, world: World
) -> None:
    posts = posts_of(world, "bluesky")
    gone_like = _interaction("like", posts[0], "2026-04-03T08:00:00Z")
    kept_like = _interaction("like", posts[1], "2026-04-03T08:00:01Z")
    follow = _interaction("follow", None, "2026-04-03T08:00:02Z")
    live.sim.add_records([gone_like, kept_like, follow])
    assert _poll(live) == 3
    assert {r.external_id for r in _rows(live.db)} == {None}  # the poller knows no record

    deleted = live.sim.delete([gone_like, follow])
    wait(lambda: (live.cursor() or 0) >= deleted[-1]["time_us"], "the deletes' cursor")
    [left] = _rows(live.db)
    assert left.interaction_type == "like"
    assert left.occurred_at == datetime(2026, 4, 3, 8, 0, 1, tzinfo=UTC)
    assert live.runner.counts.deleted == 2
    assert _poll(live) == 0
    assert len(_rows(live.db)) == 1


def test_deletes_of_unknown_fans_or_records_change_nothing(live: Live, world: World) -> None:
    like = _interaction("like", _post_of(world), "2026-04-04T07:00:00Z")
    live.sim.add_records([like])
    assert _poll(live) == 1
    stranger = ids.bluesky_did("someone-else")
    _raw(
        live,
        _delete_event(stranger, "app.bsky.feed.like", "3kunknown"),
        _delete_event(stranger, "app.bsky.graph.follow", "3kunknown"),
        # The fan deletes a like of someone else's post: its repo still holds the stored one.
        _delete_event(FAN_DID, "app.bsky.feed.like", "3kelsewhere"),
        _delete_event(FAN_DID, "app.bsky.feed.repost", "3kelsewhere"),
    )
    assert _kinds(live.db) == ["like"]
    assert live.runner.counts.deleted == 0
    assert live.runner.connected.is_set()


def test_an_updated_reply_has_its_new_text_edited_at_the_events_time(
    live: Live, world: World
) -> None:
    [created] = live.sim.emit(
        [
            _interaction(
                "comment", _post_of(world), "2026-04-05T06:00:00Z", external_id="c-e", text="frist"
            )
        ]
    )
    wait(lambda: _kinds(live.db) == ["comment"], "the comment")
    commit = created["commit"]
    record = {**commit["record"], "text": "first!"}
    update = {**commit, "operation": "update", "record": record, "rev": "3upd"}
    [sent] = _raw(live, {"did": FAN_DID, "kind": "commit", "commit": update})
    with live.db.connect() as conn:
        row = conn.execute(
            text(
                "SELECT interaction_value, edited_at, occurred_at FROM follower_interactions"
                " WHERE external_id = :uri"
            ),
            {"uri": ids.bluesky_post_uri(FAN_DID, "c-e")},
        ).one()
    assert row.interaction_value == "first!"
    assert row.edited_at == datetime(1970, 1, 1, tzinfo=UTC) + timedelta(
        microseconds=sent["time_us"]
    )
    assert row.occurred_at == datetime(2026, 4, 5, 6, tzinfo=UTC)  # still when it was posted

    # A like's update changes nothing fanlens keeps.
    [like] = live.sim.emit([_interaction("like", _post_of(world), "2026-04-05T06:00:01Z")])
    wait(lambda: len(_rows(live.db)) == 2, "the like")
    _raw(live, {**like, "commit": {**like["commit"], "operation": "update", "rev": "3u2"}})
    assert _kinds(live.db) == ["comment", "like"]


def test_a_like_created_and_deleted_during_a_cut_is_not_stored_when_replayed(
    live: Live, world: World
) -> None:
    post = _post_of(world)
    [first] = live.sim.emit(
        [_interaction("comment", post, "2026-04-06T05:00:00Z", external_id="c-r")]
    )
    wait(lambda: live.cursor() == first["time_us"], "the comment's cursor")
    live.sim.stop()
    wait(lambda: not live.runner.connected.is_set(), "the runner to see the cut")
    # Both reach the runner in the replay, one after the other: one micro-batch.
    simulator = live.sim.simulator
    like = _interaction("like", post, "2026-04-06T05:00:01Z")
    simulator.jetstream.publish(simulator.jetstream_commit(like))
    last = simulator.jetstream.publish(simulator.jetstream_delete(like))
    restarted = live.sim.restart()
    try:
        wait(lambda: live.cursor() == last["time_us"], "the replay's cursor")
        assert _kinds(live.db) == ["comment"]
        assert _poll(live) == 0
        assert _kinds(live.db) == ["comment"]
    finally:
        restarted.stop()


def test_a_failing_pds_leaves_the_likes_until_the_fans_next_delete_settles_them(
    live: Live, world: World
) -> None:
    posts = posts_of(world, "bluesky")
    likes = [_interaction("like", p, f"2026-04-07T04:00:0{n}Z") for n, p in enumerate(posts[:3])]
    live.sim.add_records(likes)
    assert _poll(live) == 3

    live.sim.set_faults(gone=["com.atproto.repo.listRecords"])
    [first] = live.sim.delete([likes[0]])
    wait(lambda: (live.cursor() or 0) >= first["time_us"], "the first delete's cursor")
    assert len(_rows(live.db)) == 3  # unsettled: nothing is deleted on a guess
    assert live.runner.connected.is_set()

    live.sim.clear_faults()
    [second] = live.sim.delete([likes[1]])
    wait(lambda: (live.cursor() or 0) >= second["time_us"], "the second delete's cursor")
    [left] = _rows(live.db)
    assert left.occurred_at == datetime(2026, 4, 7, 4, 0, 2, tzinfo=UTC)


def test_a_fan_who_unfollows_and_follows_again_is_a_follower_again(live: Live) -> None:
    follow = _interaction("follow", None, "2026-04-08T03:00:00Z")
    live.sim.emit([follow])
    wait(lambda: _kinds(live.db) == ["follow"], "the follow")
    [unfollow] = live.sim.delete([follow])
    wait(lambda: (live.cursor() or 0) >= unfollow["time_us"], "the unfollow's cursor")
    assert _rows(live.db) == []

    # Made after the unfollow was recorded: a new follow, though keyed as the old one.
    again = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
    refollow = _interaction("follow", None, again.isoformat().replace("+00:00", "Z"))
    live.sim.emit([refollow])
    wait(lambda: _kinds(live.db) == ["follow"], "the new follow")
    assert _rows(live.db)[0].occurred_at == again
    assert _poll(live) == 0

    # The old follow's create, replayed (a reconnect rewinds), does not bring back a deleted one.
    [unfollow_again] = live.sim.delete([refollow])
    wait(lambda: (live.cursor() or 0) >= unfollow_again["time_us"], "the second unfollow")
    assert _rows(live.db) == []
    old_create = live.sim.simulator.jetstream.events[0]
    _raw(live, {k: v for k, v in old_create.items() if k != "time_us"})
    assert _rows(live.db) == []
