"""Bluesky live over a real WebSocket: the Jetstream simulator streams, the runner stores."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime
from functools import partial
from typing import Any

import pytest
from sqlalchemy import Engine, text

from fanlens.config import settings
from fanlens.connectors import listen
from fanlens.demo.generate import World
from fanlens.simulators import ids
from tests.connectors.conftest import add_account
from tests.connectors.live_helpers import (
    FAN,
    Live,
    gaps,
    interaction,
    polled_account,
    posts_of,
    wait,
)

FAN_DID = ids.bluesky_did(FAN)


_interaction = partial(interaction, "bluesky")


def _post_of(world: World) -> str:
    return posts_of(world, "bluesky")[0]


def _rows(db: Engine) -> list[Any]:
    with db.connect() as conn:
        return list(
            conn.execute(
                text(
                    "SELECT i.interaction_type, i.occurred_at, i.time_precision, i.external_id,"
                    " f.username FROM follower_interactions i"
                    " JOIN followers f ON f.id = i.follower_id"
                    " WHERE f.external_user_id = :did ORDER BY i.interaction_type"
                ),
                {"did": FAN_DID},
            )
        )


def _delete_event(did: str, collection: str, rkey: str) -> dict[str, Any]:
    """Jetstream's event of a record's delete (it names only the repo, collection and key)."""
    commit = {"rev": "3del", "operation": "delete", "collection": collection, "rkey": rkey}
    return {"did": did, "kind": "commit", "commit": commit}


def _every_kind(post: str, day: str) -> list[dict[str, Any]]:
    """A like, repost, follow, comment and quote of FAN on `day`, a second apart."""
    at = f"{day}T10:00:0"
    return [
        _interaction("like", post, f"{at}0.125Z"),
        _interaction("repost", post, f"{at}1.000Z"),
        _interaction("follow", None, f"{at}2.000Z"),
        _interaction("comment", post, f"{at}3.000Z", external_id="c-1", text="hi"),
        _interaction("quote", post, f"{at}4.000Z", external_id="q-1", text="so"),
    ]


def _every_kind_stored(live: Live, day: str) -> dict[str, Any]:
    """The rows of `_every_kind`, once all five are stored, by type (checked as exact)."""
    wait(lambda: len(_rows(live.db)) == 5, "five interactions")
    rows = {r.interaction_type: r for r in _rows(live.db)}
    assert rows["like"].occurred_at == datetime.fromisoformat(f"{day}T10:00:00.125+00:00")
    assert {r.time_precision for r in rows.values()} == {"exact"}
    assert rows["comment"].external_id == ids.bluesky_post_uri(FAN_DID, "c-1")
    assert rows["like"].username == "livefan.bsky.social"  # the profile fetched for the batch
    return rows


@pytest.fixture
def live(
    world: World, db: Engine, start_sim: Any, secret_key: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Live]:
    sim = start_sim("bluesky", list(world.records()))
    monkeypatch.setattr(settings, "bluesky_stream_url", sim.stream_url)
    monkeypatch.setattr(settings, "bluesky_plc_url", sim.root_url)
    running = Live(db, sim, polled_account(db, "bluesky", sim))
    yield running
    running.close()


def test_events_are_stored_with_their_exact_time_once_and_a_poll_adds_nothing(
    live: Live, world: World
) -> None:
    post = _post_of(world)
    events = live.sim.emit(_every_kind(post, "2026-03-01"))
    rows = _every_kind_stored(live, "2026-03-01")
    assert rows["follow"].occurred_at == datetime.fromisoformat("2026-03-01T10:00:02+00:00")
    wait(lambda: len(live.seen) == 5, "a line per event")  # told after the commit
    assert sorted(e.records[-1]["interaction_type"] for e in live.seen) == [
        "comment", "follow", "like", "quote", "repost"
    ]  # fmt: skip

    again = live.sim.emit([_interaction("like", post, "2026-03-01T10:00:00.125Z")])
    assert again[0]["commit"] == events[0]["commit"]  # the very same commit, streamed twice
    wait(lambda: (live.cursor() or 0) >= again[0]["time_us"], "the cursor to pass the repeat")
    assert len(_rows(live.db)) == 5

    assert live.poll() == 0
    assert len(_rows(live.db)) == 5


def test_a_cut_stream_resumes_from_the_stored_cursor_losing_and_doubling_nothing(
    live: Live, world: World
) -> None:
    post = _post_of(world)
    first = live.sim.emit([_interaction("like", post, "2026-03-02T09:00:00.000Z")])
    wait(lambda: live.cursor() == first[0]["time_us"], "the first like's cursor")

    live.sim.stop()
    wait(lambda: not live.runner.connected.is_set(), "the runner to see the cut")
    # Streamed while no client can be connected: only a replay from the cursor brings them.
    jetstream = live.sim.simulator.jetstream
    later = [
        jetstream.publish(live.sim.simulator.jetstream_commit(record))
        for record in (
            _interaction("comment", post, "2026-03-02T09:00:05.000Z", external_id="c-2"),
            _interaction("repost", post, "2026-03-02T09:00:06.000Z"),
        )
    ]
    restarted = live.sim.restart()
    try:
        wait(lambda: len(_rows(live.db)) == 3, "three interactions")
        wait(lambda: live.cursor() == later[-1]["time_us"], "the cursor after the cut")
        assert live.runner.counts.connects >= 2
        kinds = sorted(r.interaction_type for r in _rows(live.db))
        assert kinds == ["comment", "like", "repost"]
        wait(lambda: gaps(live.db)[-1].ended_at is not None, "the gap to be closed")
        [gap] = gaps(live.db)
        assert gap.source == "live:jetstream" and gap.since_cursor == first[0]["time_us"]
        assert gap.started_at < gap.ended_at
    finally:
        restarted.stop()


def test_the_worker_keeps_new_accounts_connected_and_lets_removed_ones_go(
    world: World, db: Engine, start_sim: Any, secret_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = start_sim("bluesky", list(world.records()))
    monkeypatch.setattr(settings, "bluesky_stream_url", sim.stream_url)
    with listen.kept_open(db, refresh=0.1) as listeners:
        assert listeners.running == {}
        account_id = add_account(db, "bluesky", sim)  # connected while the worker runs
        wait(lambda: account_id in listeners.running, "the new account's runner")
        runner = listeners.running[account_id][0]
        wait(runner.connected.is_set, "its connection")
        sim.emit([_interaction("like", _post_of(world), "2026-03-03T08:00:00.000Z")])
        wait(lambda: len(_rows(db)) == 1, "the like")

        with db.begin() as conn:
            conn.execute(
                text("UPDATE accounts SET status = 'gone' WHERE id = :id"), {"id": account_id}
            )
        wait(lambda: account_id not in listeners.running, "the flagged account to be let go")
        wait(lambda: not runner.connected.is_set(), "its connection to close")


def test_the_live_demo_streams_a_trickle_of_new_fan_actions(
    db: Engine, secret_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fanlens.demo.live import trickle

    for name in ("bluesky_stream_url", "bluesky_base_url", "bluesky_plc_url"):  # restored after
        monkeypatch.setattr(settings, name, getattr(settings, name))
        monkeypatch.setenv(f"FANLENS_{name.upper()}", "unset")
    with trickle("tiny", interval=0.05) as sim:
        account_id = add_account(db, "bluesky", sim)
        [runner] = listen.runners(db, account_id=account_id)
        stop = threading.Event()
        threads = listen.start([runner], stop)
        try:
            wait(lambda: runner.counts.inserted >= 5, "five demo actions stored")
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=10)
    with db.connect() as conn:
        precision = conn.execute(
            text("SELECT DISTINCT time_precision FROM follower_interactions")
        ).scalars()
        assert set(precision) == {"exact"}


def test_fanlens_listen_prints_a_line_per_event_stored(
    world: World, db: Engine, fresh_database_url: str, start_sim: Any, secret_key: str
) -> None:
    import signal
    import subprocess
    import sys

    from tests.helpers import fanlens_env, interruptible

    sim = start_sim("bluesky", list(world.records()))
    account_id = add_account(db, "bluesky", sim)
    env = fanlens_env(
        database_url=fresh_database_url,
        FANLENS_SECRET_KEY=secret_key,
        FANLENS_BLUESKY_STREAM_URL=sim.stream_url,
        FANLENS_BLUESKY_BASE_URL=sim.base_url,
        COLUMNS="200",
    )
    command = [sys.executable, "-m", "fanlens", "listen", "--account", str(account_id)]
    proc = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, text=True, preexec_fn=interruptible
    )
    try:
        assert proc.stdout is not None
        assert "listening on 1 account(s)" in proc.stdout.readline()
        subscribers = sim.simulator.jetstream.subscribers
        wait(lambda: len(subscribers) == 1, "the listener to connect")
        sim.emit([_interaction("like", _post_of(world), "2026-03-04T07:00:00.500Z")])
        line = proc.stdout.readline()
        assert "2026-03-04T07:00:00.500Z" in line and "bluesky" in line and "like" in line
        assert "livefan.bsky.social" in line
        assert ids.bluesky_post_uri(ids.BLUESKY_CREATOR_DID, _post_of(world)) in line
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)
    assert len(_rows(db)) == 1


def test_a_deleted_reply_leaves_and_a_poll_does_not_bring_it_back(live: Live, world: World) -> None:
    import httpx

    post = _post_of(world)
    [comment] = live.sim.emit(
        [_interaction("comment", post, "2026-03-05T12:00:00.000Z", external_id="c-9", text="x")]
    )
    wait(lambda: len(_rows(live.db)) == 1, "the comment")
    delete = _delete_event(comment["did"], "app.bsky.feed.post", comment["commit"]["rkey"])
    stranger = {**delete, "did": "did:plc:someoneelse"}  # a delete that is not the creator's
    response = httpx.post(
        f"{live.sim.root_url}/_sim/jetstream/emit", json={"events": [stranger, delete]}
    )
    sent = response.json()["events"]
    wait(lambda: (live.cursor() or 0) >= sent[-1]["time_us"], "the delete's cursor")
    assert _rows(live.db) == []
    assert live.runner.counts.deleted == 1

    live.poll()
    assert _rows(live.db) == []  # the simulator's AppView still serves it: the tombstone holds
