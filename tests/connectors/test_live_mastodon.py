"""Mastodon live over a real WebSocket: the simulator's streaming API sends, the runner stores."""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Iterator
from datetime import datetime
from functools import partial
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from fanlens.config import settings
from fanlens.connectors import listen
from fanlens.connectors.base import AccountConfig
from fanlens.connectors.live import Disconnected
from fanlens.connectors.mastodon import MastodonConnector
from fanlens.connectors.sync import sync_account
from fanlens.db.engine import unit_of_work
from fanlens.demo.generate import World
from fanlens.sentiment.analysers import VaderAnalyser
from fanlens.sentiment.service import analyse_batch
from fanlens.simulators import ids
from fanlens.simulators.run import RunningSimulator
from tests.connectors.conftest import add_account, fast_http
from tests.connectors.live_helpers import (
    FAN,
    Live,
    gaps,
    interaction,
    polled_account,
    wait,
)

FAN_ID = ids.mastodon_account_id(FAN)
OTHER_FAN = "live-fan-2"
TOKEN = "sim-user-token"


def _newest_post(world: World) -> str:
    posts = [r for r in world.records() if r["type"] == "post" and r["platform"] == "mastodon"]
    return str(max(posts, key=lambda r: r["posted_at"])["external_post_id"])


_interaction = partial(interaction, "mastodon")


def _thread(post: str) -> list[dict[str, Any]]:
    """Another fan's comment on the creator's post and the fan's reply to it. Mastodon puts the
    creator in such a reply, so it comes as a `mention` notification too: one status, one row."""
    other = _interaction("comment", post, "2026-11-23T16:00:00Z", external_id="c-o", text="hey")
    other["user"] = {"external_user_id": OTHER_FAN, "username": "otherfan"}
    reply = _interaction(
        "reply",
        post,
        "2026-11-23T16:00:05Z",
        external_id="r-o",
        text="agreed",
        parent_external_id="c-o",
    )
    return [other, reply]


def _mention() -> dict[str, Any]:
    """A status that mentions the creator outside any thread of theirs."""
    return _interaction("mention", None, "2026-11-23T16:00:09Z", external_id="m-o", text="look")


def _rows(db: Engine) -> list[Any]:
    with db.connect() as conn:
        return list(
            conn.execute(
                text(
                    "SELECT i.interaction_type, i.occurred_at, i.time_precision, i.external_id,"
                    " i.interaction_value, i.edited_at, f.username, s.label"
                    " FROM follower_interactions i JOIN followers f ON f.id = i.follower_id"
                    " LEFT JOIN comment_sentiments s ON s.interaction_id = i.id"
                    " WHERE f.external_user_id = :id ORDER BY i.interaction_type"
                ),
                {"id": FAN_ID},
            )
        )


def _counts(db: Engine) -> dict[str, int]:
    with db.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.interaction_type, c.interaction_count FROM follower_interaction_counts c"
                " JOIN followers f ON f.id = c.follower_id WHERE f.external_user_id = :id"
            ),
            {"id": FAN_ID},
        )
        return {r.interaction_type: r.interaction_count for r in rows if r.interaction_count}


class MastodonLive(Live):
    """Connected, and subscribed: the streaming API sends only what comes after that."""

    def __init__(self, db: Engine, sim: RunningSimulator, account_id: uuid.UUID) -> None:
        super().__init__(db, sim, account_id)
        wait(lambda: len(sim.simulator.streaming.subscribers) == 1, "the subscription")

    def emit(self, **body: Any) -> list[dict[str, Any]]:
        return self.sim.emit_body(body)


def _stream_a_like(live: MastodonLive, post: str, when: str) -> int:
    """A like streamed and stored: its notification's id, now the stored cursor."""
    [sent] = live.emit(records=[_interaction("like", post, when)])
    note_id = int(json.loads(sent["payload"])["id"])
    wait(lambda: live.runner.stored_cursor() == note_id, "the like's notification id as cursor")
    return note_id


def _connector(sim: RunningSimulator, credentials: dict[str, Any]) -> MastodonConnector:
    config = AccountConfig(
        id=uuid.uuid4(),
        platform="mastodon",
        handle=ids.MASTODON_CREATOR_USERNAME,
        external_id="x",
        settings={"instance_url": sim.base_url},
        credentials=credentials,
    )
    return MastodonConnector.from_account(config, fast_http())


@pytest.fixture
def live(world: World, db: Engine, start_sim: Any, secret_key: str) -> Iterator[MastodonLive]:
    sim = start_sim("mastodon", list(world.records()), tokens=[TOKEN])
    running = MastodonLive(db, sim, polled_account(db, "mastodon", sim, token=TOKEN))
    yield running
    running.close()


def test_notifications_are_stored_at_their_exact_time_once_and_a_poll_adds_nothing(
    live: MastodonLive, world: World
) -> None:
    post = _newest_post(world)
    sent = live.emit(
        records=[
            _interaction("like", post, "2026-11-23T10:00:00.125Z"),
            _interaction("repost", post, "2026-11-23T10:00:01.000Z"),
            _interaction("follow", None, "2026-11-23T10:00:02.000Z"),
            _interaction("comment", post, "2026-11-23T10:00:03.000Z", external_id="c-1", text="hi"),
            _interaction("mention", None, "2026-11-23T10:00:04.000Z", external_id="m-1", text="yo"),
        ]
    )
    assert [e["event"] for e in sent] == ["notification"] * 5
    types = [json.loads(e["payload"])["type"] for e in sent]
    assert types == ["favourite", "reblog", "follow", "mention", "mention"]
    # A reply to the fan's own comment mentions the creator too: in the creator's thread it is
    # the thread's reply, as a sync's thread read stores it, and not a mention as well.
    reply = _interaction(
        "reply",
        post,
        "2026-11-23T10:00:05Z",
        external_id="r-1",
        text="me",
        parent_external_id="c-1",
    )
    sent += live.emit(records=[reply])

    wait(lambda: len(live.seen) == 6, "a line per event")
    by_type = [r.interaction_type for r in _rows(live.db)]
    assert by_type == ["comment", "follow", "like", "mention", "reply", "repost"]
    rows = {r.interaction_type: r for r in _rows(live.db)}
    assert rows["reply"].external_id == json.loads(sent[5]["payload"])["status"]["id"]
    assert rows["like"].occurred_at == datetime.fromisoformat("2026-11-23T10:00:00.125+00:00")
    assert rows["follow"].occurred_at == datetime.fromisoformat("2026-11-23T10:00:02+00:00")
    assert rows["comment"].occurred_at == datetime.fromisoformat("2026-11-23T10:00:03+00:00")
    assert {r.time_precision for r in rows.values()} == {"exact"}
    comment_status = json.loads(sent[3]["payload"])["status"]
    assert rows["comment"].external_id == comment_status["id"]
    assert rows["comment"].interaction_value == "@creator hi"
    assert rows["like"].username == "livefan"  # the notification's account
    cursor = max(int(json.loads(e["payload"])["id"]) for e in sent)
    wait(lambda: live.runner.stored_cursor() == cursor, "the newest notification id as cursor")

    live.emit(records=[_interaction("like", post, "2026-11-23T10:00:00.125Z")])  # streamed again
    wait(lambda: len(live.seen) == 7, "the repeat")
    assert len(_rows(live.db)) == 6

    assert live.poll() == 0
    assert len(_rows(live.db)) == 6


def test_an_edited_reply_takes_the_new_text_and_goes_back_to_sentiment(
    live: MastodonLive, world: World
) -> None:
    post = _newest_post(world)
    [sent] = live.emit(
        records=[_interaction("comment", post, "2026-11-23T11:00:00Z", external_id="c-2", text="x")]
    )
    status_id = json.loads(sent["payload"])["status"]["id"]
    wait(lambda: len(_rows(live.db)) == 1, "the comment")
    with unit_of_work(live.db) as session:
        analyse_batch(
            session=session, workspace_id=live.runner.workspace_id, analyser=VaderAnalyser()
        )
    assert _rows(live.db)[0].label is not None

    [update] = live.emit(
        edits=[{"id": status_id, "text": "I love it", "edited_at": "2026-11-23T11:05:00.250Z"}],
    )
    assert update["event"] == "status.update"
    assert json.loads(update["payload"])["edited_at"] == "2026-11-23T11:05:00.250Z"
    wait(lambda: live.runner.counts.edited == 1, "the edit")
    [row] = _rows(live.db)
    assert row.interaction_value == "@creator I love it"
    assert row.edited_at == datetime.fromisoformat("2026-11-23T11:05:00.250+00:00")
    assert row.label is None  # the old sentiment is gone: the comment waits for analysis again
    assert row.occurred_at == datetime.fromisoformat("2026-11-23T11:00:00+00:00")

    # An edit of a status fanlens never stored (a followed account's post) leaves no trace.
    other = {"id": "1", "edited_at": "2026-11-23T11:06:00Z", "content": "<p>elsewhere</p>"}
    live.emit(events=[{"event": "status.update", "payload": json.dumps(other)}])
    live.emit(events=[{"event": "filters_changed"}])
    with live.db.connect() as conn:
        waiting = conn.execute(text("SELECT count(*) FROM interaction_changes")).scalar_one()
    assert waiting == 1
    assert live.poll() == 0
    assert _rows(live.db)[0].interaction_value == "@creator I love it"


def test_a_deleted_reply_leaves_the_log_and_the_score_and_a_poll_does_not_bring_it_back(
    live: MastodonLive, world: World
) -> None:
    post = _newest_post(world)
    sent = live.emit(
        records=[
            _interaction("comment", post, "2026-11-23T12:00:00Z", external_id="c-3", text="y"),
            _interaction("like", post, "2026-11-23T12:00:01Z"),
        ]
    )
    status_id = json.loads(sent[0]["payload"])["status"]["id"]
    wait(lambda: len(_rows(live.db)) == 2, "the comment and the like")
    assert _counts(live.db) == {"comment": 1, "like": 1}

    live.emit(deletes=["42", status_id])  # a status of someone else, then the fan's reply
    wait(lambda: live.runner.counts.deleted == 1, "the delete")
    assert [r.interaction_type for r in _rows(live.db)] == ["like"]
    assert _counts(live.db) == {"like": 1}

    assert live.poll() == 0  # the simulator still serves the reply: the tombstone holds
    assert [r.interaction_type for r in _rows(live.db)] == ["like"]


def test_a_poll_stores_a_reply_to_another_fan_once_and_a_mention_elsewhere_as_a_mention(
    world: World, db: Engine, start_sim: Any, secret_key: str
) -> None:
    records = [*world.records(), *_thread(_newest_post(world)), _mention()]
    sim = start_sim("mastodon", records, tokens=[TOKEN])
    account_id = add_account(db, "mastodon", sim, token=TOKEN)
    assert sync_account(account_id=account_id, engine=db, http=fast_http()).status == "succeeded"

    rows = _rows(db)
    assert [(r.interaction_type, r.interaction_value) for r in rows] == [
        ("mention", "@creator look"),
        ("reply", "@otherfan agreed"),
    ]
    assert _counts(db) == {"mention": 1, "reply": 1}
    again = sync_account(account_id=account_id, engine=db, http=fast_http())
    assert (again.status, again.inserted) == ("succeeded", 0)


def test_a_streamed_reply_to_another_fan_is_one_row_that_edits_and_deletes_reach(
    live: MastodonLive, world: World
) -> None:
    sent = live.emit(records=_thread(_newest_post(world)))
    wait(lambda: len(live.seen) == 2, "both notifications")
    [row] = _rows(live.db)
    assert (row.interaction_type, row.interaction_value) == ("reply", "@otherfan agreed")
    assert row.external_id == json.loads(sent[1]["payload"])["status"]["id"]
    assert row.occurred_at == datetime.fromisoformat("2026-11-23T16:00:05+00:00")
    assert _counts(live.db) == {"reply": 1}

    live.emit(records=[_mention()])
    wait(lambda: len(live.seen) == 3, "the mention")
    assert [r.interaction_type for r in _rows(live.db)] == ["mention", "reply"]

    assert live.poll() == 0  # the thread read and the notifications find both stored

    edit = {"id": row.external_id, "text": "on second thought", "edited_at": "2026-11-23T16:01Z"}
    live.emit(edits=[edit])
    wait(lambda: live.runner.counts.edited == 1, "the edit")
    assert [r.interaction_value for r in _rows(live.db)] == [
        "@creator look",
        "@otherfan on second thought",
    ]
    live.emit(deletes=[row.external_id])
    wait(lambda: live.runner.counts.deleted == 1, "the delete")
    assert [r.interaction_type for r in _rows(live.db)] == ["mention"]
    assert _counts(live.db) == {"mention": 1}


def test_a_reply_to_another_fan_polled_first_is_not_stored_again_by_the_stream(
    live: MastodonLive, world: World
) -> None:
    thread = _thread(_newest_post(world))
    live.sim.add_records([*thread, _mention()])
    assert live.poll() == 3  # the other fan's comment, the reply, the mention
    assert [r.interaction_type for r in _rows(live.db)] == ["mention", "reply"]

    live.emit(records=[*thread, _mention()])  # the same notifications, streamed after the poll
    wait(lambda: len(live.seen) == 3, "the three notifications")
    assert live.runner.counts.inserted == 0
    assert [r.interaction_type for r in _rows(live.db)] == ["mention", "reply"]
    assert _counts(live.db) == {"mention": 1, "reply": 1}


def test_a_dropped_stream_reconnects_logs_the_gap_and_catches_up_through_the_rest_api(
    live: MastodonLive, world: World
) -> None:
    post = _newest_post(world)
    first_id = _stream_a_like(live, post, "2026-11-23T13:00:00Z")

    live.sim.stop()
    wait(lambda: not live.runner.connected.is_set(), "the runner to see the cut")
    # Happens while nobody can be connected: the streaming API will not replay it, the
    # notifications list has it.
    live.sim.add_records([_interaction("repost", post, "2026-11-23T13:00:05Z")])
    restarted = live.sim.restart()
    try:
        wait(lambda: len(_rows(live.db)) == 2, "the repost of the outage")
        rows = {r.interaction_type: r for r in _rows(live.db)}
        assert sorted(rows) == ["like", "repost"]
        assert rows["repost"].occurred_at == datetime.fromisoformat("2026-11-23T13:00:05+00:00")
        assert live.runner.counts.connects >= 2
        wait(lambda: gaps(live.db)[-1].ended_at is not None, "the gap to be closed")
        [gap] = gaps(live.db)
        assert gap.source == "live:mastodon" and gap.since_cursor == first_id
        assert gap.started_at < gap.ended_at
        assert (live.runner.stored_cursor() or 0) > first_id  # the repost's notification

        wait(lambda: len(live.sim.simulator.streaming.subscribers) == 1, "the new subscription")
        live.emit(records=[_interaction("follow", None, "2026-11-23T13:00:09Z")])
        wait(lambda: len(_rows(live.db)) == 3, "a follow after the reconnect")
        assert live.poll() == 0
    finally:
        restarted.stop()


def test_an_outage_the_catch_up_cannot_read_is_filled_by_the_next_poll(
    live: MastodonLive, world: World
) -> None:
    post = _newest_post(world)
    _stream_a_like(live, post, "2026-11-23T15:00:00Z")
    # The notifications list failing (a server under load): only the stream comes back.
    live.sim.set_faults(server_errors={"count": -1, "status": 503, "match": "notifications"})

    live.sim.stop()
    wait(lambda: not live.runner.connected.is_set(), "the runner to see the cut")
    live.sim.add_records([_interaction("repost", post, "2026-11-23T15:00:05Z")])
    restarted = live.sim.restart()
    try:
        wait(lambda: live.runner.counts.connects >= 2, "the reconnect", seconds=60)
        wait(lambda: gaps(live.db)[-1].ended_at is not None, "the gap to be closed")
        assert [r.interaction_type for r in _rows(live.db)] == ["like"]

        live.sim.clear_faults()
        assert live.poll() == 1
        assert [r.interaction_type for r in _rows(live.db)] == ["like", "repost"]
    finally:
        restarted.stop()


def test_an_account_without_a_token_is_polled_only(
    world: World, db: Engine, start_sim: Any, secret_key: str
) -> None:
    sim = start_sim("mastodon", list(world.records()), tokens=[TOKEN])
    account_id = add_account(db, "mastodon", sim)
    assert listen.runners(db, account_id=account_id) == []


def test_the_setting_turns_mastodon_streaming_off(
    world: World, db: Engine, start_sim: Any, secret_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = start_sim("mastodon", list(world.records()), tokens=[TOKEN])
    account_id = add_account(db, "mastodon", sim, token=TOKEN)
    monkeypatch.setattr(settings, "mastodon_streaming", False)
    assert listen.runners(db, account_id=account_id) == []
    monkeypatch.setattr(settings, "mastodon_streaming", True)
    [runner] = listen.runners(db, account_id=account_id)
    assert runner.source.name == "live:mastodon"


def test_the_streaming_host_is_found_from_the_instance_or_the_documented_fallback(
    world: World, start_sim: Any
) -> None:
    from fanlens.connectors.mastodon_live import MastodonStreamSource

    sim = start_sim("mastodon", list(world.records()), tokens=[TOKEN])
    connector = _connector(sim, credentials={"access_token": TOKEN})
    source = MastodonStreamSource(connector, sim.base_url, TOKEN)
    assert source.discover() == sim.root_url.replace("http://", "ws://")

    sim.simulator.streaming_url = "wss://streaming.example.social"  # a host of its own
    assert source.discover() == "wss://streaming.example.social"

    sim.simulator.instance_v2 = False  # before 4.0: the REST host serves the stream itself
    assert source.discover() == sim.root_url.replace("http://", "ws://")


def test_a_wrong_token_is_refused_before_the_stream_opens(world: World, start_sim: Any) -> None:
    from fanlens.connectors.mastodon_live import MastodonStreamSource

    sim = start_sim("mastodon", list(world.records()), tokens=[TOKEN])
    connector = _connector(sim, credentials={})
    with pytest.raises(Disconnected):
        MastodonStreamSource(connector, sim.base_url, "not-the-token").connect(None)
    assert sim.simulator.streaming.subscribers == []


def test_the_simulator_serves_the_events_as_server_sent_events_too(
    world: World, start_sim: Any
) -> None:
    sim = start_sim("mastodon", list(world.records()), tokens=[TOKEN])
    assert httpx.get(f"{sim.root_url}/api/v1/streaming/health").text == "OK"
    url = f"{sim.root_url}/api/v1/streaming/user/notification"
    assert httpx.get(url, headers={"Authorization": "Bearer nope"}).status_code == 401
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.stream("GET", url, headers=auth, timeout=10) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.iter_lines()
        assert next(lines) == ":)"
        sim.emit_body({"deletes": ["5"]})  # not a notification: not on this stream
        [sent] = sim.emit([_interaction("follow", None, "2026-11-23T14:00:00Z")])
        got = [line for line in itertools.islice(lines, 4) if line]
    assert got == ["event: notification", f"data: {sent['payload']}"]
