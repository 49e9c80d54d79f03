"""Bluesky live from a firehose (com.atproto.sync.subscribeRepos) over a real WebSocket: the
simulator's relay streams CBOR frames with CAR blocks, the runner stores the same records as
from Jetstream, and resumes from the stored seq."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import cbor2
import httpx
import libipld
import pytest
from atproto_core.car import CAR
from atproto_firehose import parse_subscribe_repos_message
from atproto_subscription import Frame
from sqlalchemy import Engine, text
from websockets.sync.client import connect

from fanlens.config import settings
from fanlens.connectors.bluesky_firehose import StreamUrlError, stream_kind
from fanlens.demo.generate import World
from fanlens.simulators import ids
from fanlens.simulators.run import RunningSimulator
from tests.connectors.conftest import add_account
from tests.connectors.live_helpers import Live, gaps, polled_account, wait
from tests.connectors.test_live_bluesky import (
    FAN_DID,
    _delete_event,
    _every_kind,
    _every_kind_stored,
    _interaction,
    _post_of,
    _rows,
)


@pytest.fixture
def live(
    world: World, db: Engine, start_sim: Any, secret_key: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Live]:
    sim = start_sim("bluesky", list(world.records()))
    monkeypatch.setattr(settings, "bluesky_stream_url", sim.firehose_url)
    running = Live(db, sim, polled_account(db, "bluesky", sim))
    assert running.runner.source.name == "live:firehose"
    yield running
    running.close()


def _seq(sim: RunningSimulator) -> int:
    return int(sim.simulator.firehose.seq)  # type: ignore[attr-defined]


def test_firehose_commits_are_stored_as_from_jetstream_and_a_poll_adds_nothing(
    live: Live, world: World
) -> None:
    post = _post_of(world)
    live.sim.emit(_every_kind(post, "2026-04-01"))
    rows = _every_kind_stored(live, "2026-04-01")
    assert rows["quote"].occurred_at == datetime.fromisoformat("2026-04-01T10:00:04+00:00")
    wait(lambda: live.cursor() == _seq(live.sim), "the cursor to be the last seq")

    # The same like again (a relay replaying it): stored once.
    live.sim.emit([_interaction("like", post, "2026-04-01T10:00:00.125Z")])
    wait(lambda: live.cursor() == _seq(live.sim), "the cursor to pass the repeat")
    assert len(_rows(live.db)) == 5

    assert live.poll() == 0  # the poller's dedup keys are the same
    assert len(_rows(live.db)) == 5


def test_a_deleted_reply_leaves(live: Live, world: World) -> None:
    [comment] = live.sim.emit(
        [_interaction("comment", _post_of(world), "2026-04-02T12:00:00.000Z", external_id="c-9")]
    )
    wait(lambda: len(_rows(live.db)) == 1, "the comment")
    delete = _delete_event(comment["did"], "app.bsky.feed.post", comment["commit"]["rkey"])
    stranger = {**delete, "did": "did:plc:someoneelse"}
    httpx.post(
        f"{live.sim.root_url}/_sim/jetstream/emit", json={"events": [stranger, delete]}
    ).raise_for_status()
    wait(lambda: live.cursor() == _seq(live.sim), "the delete's seq")
    assert _rows(live.db) == []
    assert live.runner.counts.deleted == 1


def test_a_deleted_like_leaves_and_an_updated_reply_is_edited(live: Live, world: World) -> None:
    post = _post_of(world)
    like = _interaction("like", post, "2026-04-02T13:00:00.000Z")
    [_, created] = live.sim.emit(
        [like, _interaction("comment", post, "2026-04-02T13:00:01Z", external_id="c-e", text="a")]
    )
    wait(lambda: len(_rows(live.db)) == 2, "the like and the comment")
    live.sim.delete([like])  # the fan unlikes: a delete op naming only the like's record
    commit = created["commit"]
    update = {**commit, "operation": "update", "record": {**commit["record"], "text": "b"}}
    httpx.post(
        f"{live.sim.root_url}/_sim/jetstream/emit",
        json={"events": [{"did": FAN_DID, "kind": "commit", "commit": update}]},
    ).raise_for_status()
    wait(lambda: live.cursor() == _seq(live.sim), "the delete's and the update's seq")
    [row] = _rows(live.db)
    assert row.interaction_type == "comment"
    with live.db.connect() as conn:
        query = (
            "SELECT interaction_value, edited_at FROM follower_interactions WHERE external_id = :u"
        )
        edited = conn.execute(text(query), {"u": ids.bluesky_post_uri(FAN_DID, "c-e")}).one()
    assert edited.interaction_value == "b" and edited.edited_at is not None


def _cut(live: Live) -> None:
    live.sim.stop()
    wait(lambda: not live.runner.connected.is_set(), "the runner to see the cut")


def test_a_cut_stream_resumes_after_the_stored_seq_losing_and_doubling_nothing(
    live: Live, world: World
) -> None:
    post = _post_of(world)
    live.sim.emit([_interaction("like", post, "2026-04-03T09:00:00.000Z")])
    wait(lambda: len(_rows(live.db)) == 1, "the first like")
    wait(lambda: live.cursor() == _seq(live.sim), "the first like's seq")
    first = _seq(live.sim)

    _cut(live)
    # Streamed while no client can be connected: only a replay from the cursor brings them.
    jetstream = live.sim.simulator.jetstream  # type: ignore[attr-defined]
    for record in (
        _interaction("comment", post, "2026-04-03T09:00:05.000Z", external_id="c-2"),
        _interaction("repost", post, "2026-04-03T09:00:06.000Z"),
    ):
        jetstream.publish(live.sim.simulator.jetstream_commit(record))  # type: ignore[attr-defined]
    restarted = live.sim.restart()
    try:
        wait(lambda: len(_rows(live.db)) == 3, "three interactions")
        wait(lambda: live.cursor() == first + 2, "the cursor after the cut")
        assert sorted(r.interaction_type for r in _rows(live.db)) == ["comment", "like", "repost"]
        assert live.runner.counts.connects >= 2
        wait(lambda: gaps(live.db)[-1].ended_at is not None, "the gap to be closed")
        [gap] = gaps(live.db)
        assert gap.source == "live:firehose" and gap.since_cursor == first
    finally:
        restarted.stop()


def test_a_cursor_older_than_the_relay_keeps_is_recorded_as_a_gap(live: Live, world: World) -> None:
    post = _post_of(world)
    live.sim.emit([_interaction("like", post, "2026-04-04T09:00:00.000Z")])
    wait(lambda: live.cursor() == _seq(live.sim), "the first like's seq")
    stored = _seq(live.sim)

    _cut(live)
    simulator: Any = live.sim.simulator
    for minute in range(3):
        when = f"2026-04-04T09:0{minute + 1}:00.000Z"
        simulator.jetstream.publish(
            simulator.jetstream_commit(
                _interaction("comment", post, when, external_id=f"old-{minute}")
            )
        )
    simulator.firehose.trim(keep=1)  # the relay's window no longer holds the first two
    restarted = live.sim.restart()
    try:
        wait(lambda: live.cursor() == stored + 3, "the cursor after the outdated replay")
        comments = [r.external_id for r in _rows(live.db) if r.interaction_type == "comment"]
        assert comments == [ids.bluesky_post_uri(FAN_DID, "old-2")]  # the rest: the next poll
        with live.db.connect() as conn:
            query = "SELECT since_cursor, ended_at FROM live_gaps WHERE error LIKE :outdated"
            outdated = list(conn.execute(text(query), {"outdated": "%OutdatedCursor%"}))
        assert len(outdated) == 1
        assert outdated[0].since_cursor == stored and outdated[0].ended_at is not None
    finally:
        restarted.stop()


def test_a_frame_encoded_apart_from_the_simulator_is_read(live: Live, world: World) -> None:
    """A #commit frame built with cbor2 (CBOR tag 42 links, a CAR v1 written here from the
    spec), not with libipld as the simulator does: fanlens reads the like in it."""
    other = _interaction("like", _post_of(world), "2026-04-05T08:00:00.000Z")
    live.sim.emit([{**other, "user": {"external_user_id": "another-fan"}}])  # a cursor to keep
    wait(lambda: live.cursor() == _seq(live.sim), "another fan's like")
    subject = ids.bluesky_post_uri(ids.BLUESKY_CREATOR_DID, _post_of(world))
    record = {
        "$type": "app.bsky.feed.like",
        "createdAt": "2026-04-05T08:30:00.250Z",
        "subject": {"cid": ids.bluesky_cid(subject), "uri": subject},
    }
    block = cbor2.dumps(record, canonical=True)
    record_cid = bytes([1, 0x71, 0x12, 32]) + hashlib.sha256(block).digest()
    commit = cbor2.dumps(
        {"did": FAN_DID, "version": 3, "data": _link(record_cid), "rev": "3lzz", "prev": None,
         "sig": b"\x00" * 64},
        canonical=True,
    )  # fmt: skip
    commit_cid = bytes([1, 0x71, 0x12, 32]) + hashlib.sha256(commit).digest()
    header = cbor2.dumps({"version": 1, "roots": [_link(commit_cid)]}, canonical=True)
    car = _uvarint(len(header)) + header
    for cid, data in ((commit_cid, commit), (record_cid, block)):
        car += _uvarint(len(cid) + len(data)) + cid + data
    seq = _seq(live.sim) + 1
    body = {
        "seq": seq, "rebase": False, "tooBig": False, "repo": FAN_DID,
        "commit": _link(commit_cid), "rev": "3lzz", "since": None, "blocks": car,
        "ops": [{"action": "create", "path": "app.bsky.feed.like/3lzz", "cid": _link(record_cid)}],
        "blobs": [], "time": "2026-04-05T08:30:01.000Z",
    }  # fmt: skip
    header_bytes = cbor2.dumps({"t": "#commit", "op": 1}, canonical=True)
    data = header_bytes + cbor2.dumps(body, canonical=True)

    _cut(live)  # sent while the runner is away: the replay from its cursor brings it
    live.sim.simulator.firehose.send(seq, data)  # type: ignore[attr-defined]
    restarted = live.sim.restart()
    try:
        wait(lambda: len(_rows(live.db)) == 1, "the like")
        [row] = _rows(live.db)
        assert row.interaction_type == "like"
        assert row.occurred_at == datetime.fromisoformat("2026-04-05T08:30:00.250+00:00")
        wait(lambda: live.cursor() == seq, "the frame's seq")
    finally:
        restarted.stop()


def _link(cid: bytes) -> cbor2.CBORTag:
    return cbor2.CBORTag(42, b"\x00" + cid)  # DAG-CBOR's CID link: tag 42, identity multibase


def _uvarint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    return bytes([*out, value])


def test_the_simulator_frames_parse_with_the_atproto_models_and_have_true_cids(
    world: World, start_sim: Any
) -> None:
    sim = start_sim("bluesky", list(world.records()))
    like = _interaction("like", _post_of(world), "2026-04-06T10:00:00.000Z")
    with connect(sim.firehose_url) as socket:
        sim.emit([like])
        data = socket.recv(timeout=10)
    assert isinstance(data, bytes)
    message = parse_subscribe_repos_message(Frame.from_bytes(data))  # lexicon-validated model
    assert message.seq == 1 and message.repo == FAN_DID and not message.too_big
    car = CAR.from_bytes(message.blocks)
    assert car.root == message.commit
    [op] = message.ops
    assert op.action == "create" and op.path.startswith("app.bsky.feed.like/")
    block = libipld.encode_dag_cbor(car.blocks[op.cid])
    digest = libipld.decode_cid(str(op.cid))["hash"]["digest"]
    assert digest == hashlib.sha256(block).digest()  # the CID is the record's hash
    header, _ = _split(data)
    assert header == {"op": 1, "t": "#commit"}  # cbor2, a second decoder, agrees


def _split(data: bytes) -> tuple[Any, Any]:
    import io

    stream = io.BytesIO(data)
    decoder = cbor2.CBORDecoder(stream)
    return decoder.decode(), decoder.decode()


def test_a_cursor_ahead_of_the_relay_is_a_future_cursor_error(world: World, start_sim: Any) -> None:
    sim = start_sim("bluesky", list(world.records()))
    with connect(sim.firehose_url + "?cursor=99") as socket:
        header, body = _split(socket.recv(timeout=10))
    assert header == {"op": -1}
    assert body["error"] == "FutureCursor"


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("wss://jetstream2.us-east.bsky.network/subscribe", "jetstream"),
        ("ws://127.0.0.1:8000/subscribe?wantedDids=x", "jetstream"),
        ("wss://bsky.network/xrpc/com.atproto.sync.subscribeRepos", "firehose"),
        ("wss://pds.example.com/xrpc/com.atproto.sync.subscribeRepos/", "firehose"),
    ],
)
def test_the_url_path_tells_the_kinds_apart(url: str, kind: str) -> None:
    assert stream_kind(url) == kind


@pytest.mark.parametrize(
    "url",
    [
        "https://jetstream2.us-east.bsky.network/subscribe",  # not a WebSocket URL
        "wss://bsky.network/xrpc/com.atproto.sync.subscribeLabels",
        "wss://bsky.network/",
        "jetstream",
    ],
)
def test_a_url_of_neither_kind_is_refused(url: str) -> None:
    with pytest.raises(StreamUrlError, match="FANLENS_BLUESKY_STREAM_URL"):
        stream_kind(url)


def test_listen_and_the_worker_refuse_a_url_of_neither_kind_at_start(
    db: Engine, fresh_database_url: str, secret_key: str
) -> None:
    from tests.helpers import fanlens_env, run_cli

    env = fanlens_env(
        database_url=fresh_database_url,
        FANLENS_SECRET_KEY=secret_key,
        FANLENS_BLUESKY_STREAM_URL="https://bsky.network/xrpc/com.atproto.sync.getRepo",
        COLUMNS="300",
    )
    for command in (["listen", "--account", str(uuid.uuid4())], ["worker"]):
        result = run_cli(*command, env=env)
        assert result.returncode == 2, result.stdout + result.stderr
        assert "FANLENS_BLUESKY_STREAM_URL" in result.stderr
        assert "/subscribe" in result.stderr and "subscribeRepos" in result.stderr
        assert "Traceback" not in result.stdout + result.stderr
        assert "worker started" not in result.stdout


RECORDED = Path(__file__).parent / "data" / "pds_firehose_frames.json"


def _recorded_rows(db: Engine, fan: str) -> dict[str, Any]:
    with db.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT i.interaction_type, i.occurred_at, i.interaction_value, i.edited_at"
                " FROM follower_interactions i JOIN followers f ON f.id = i.follower_id"
                " WHERE f.external_user_id = :did"
            ),
            {"did": fan},
        )
        return {r.interaction_type: r for r in rows}


def test_frames_recorded_from_a_real_pds_are_stored_deleted_and_edited(
    db: Engine, start_sim: Any, secret_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Frames a real PDS (@atproto/pds) sent, streamed as recorded (see the file's `source`):
    the fan's like, repost, reply, quote and follow, the reply's and the like's deletes and the
    quote's edit."""
    recorded = json.loads(RECORDED.read_text())
    frames = [bytes.fromhex(frame) for frame in recorded["frames"]]
    sim = start_sim("bluesky", [], did=recorded["creator"], handle=ids.BLUESKY_CREATOR_HANDLE)
    monkeypatch.setattr(settings, "bluesky_stream_url", sim.firehose_url)
    live = Live(db, sim, add_account(db, "bluesky", sim))
    try:
        for data in frames[:14]:  # up to the follow
            httpx.post(f"{sim.root_url}/_sim/firehose/frame", content=data).raise_for_status()
        wait(lambda: live.cursor() == 14, "the follow's seq")
        rows = _recorded_rows(db, recorded["fan"])
        assert sorted(rows) == ["comment", "follow", "like", "quote", "repost"]
        assert rows["like"].occurred_at == datetime.fromisoformat("2026-12-06T20:01:00.125+00:00")
        assert rows["comment"].interaction_value == "nice"
        for data in frames[14:]:
            httpx.post(f"{sim.root_url}/_sim/firehose/frame", content=data).raise_for_status()
        wait(lambda: live.cursor() == 17, "the edit's seq")
        rows = _recorded_rows(db, recorded["fan"])
        assert sorted(rows) == ["follow", "quote", "repost"]  # the reply and the like deleted
        assert rows["quote"].interaction_value == "look again" and rows["quote"].edited_at
        assert rows["quote"].occurred_at == datetime.fromisoformat("2026-12-06T20:04:00+00:00")
    finally:
        live.close()
