"""The Jetstream simulator's load generator (emit at a rate) and its event file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from fanlens.simulators.run import RunningSimulator, start_simulator
from tests.simulators.worlds import small_world, user


def _like(fan: int, **extra: Any) -> dict[str, Any]:
    return {
        "type": "interaction",
        "platform": "bluesky",
        "interaction_type": "like",
        "user": user("bluesky", fan),
        "external_post_id": "bl-p2",
        **extra,
    }


def _emit(sim: RunningSimulator, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{sim.root_url}/_sim/jetstream/emit", json=body, timeout=30)


def _received(sim: RunningSimulator, cursor: int, count: int) -> list[dict[str, Any]]:
    with connect(f"{sim.stream_url}?cursor={cursor}") as socket:
        return [json.loads(socket.recv(timeout=10)) for _ in range(count)]


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[RunningSimulator]:
    running = start_simulator(
        "bluesky", small_world("bluesky"), jetstream_log=tmp_path / "events.jsonl"
    )
    yield running
    running.stop()


def test_records_sent_at_a_rate_carry_distinct_send_times_and_leave_the_world_as_it_was(
    sim: RunningSimulator,
) -> None:
    before = httpx.get(f"{sim.root_url}/_sim/state").json()["world"]["interactions"]
    comment = _like(2, interaction_type="comment", external_id="c-rate", text="so good")
    records = [_like(1), _like(1), comment, *[_like(n) for n in range(3, 10)]]

    events = _emit(sim, {"records": records, "rate": 5000}).json()["events"]  # < 1 ms apart

    created = [e["commit"]["record"]["createdAt"] for e in events]
    assert len(set(created)) == len(records)  # the same like twice: two sends, two times
    assert created == sorted(created)
    assert events[2]["commit"]["record"]["reply"]["root"]["uri"].endswith("/bl-p2")
    assert events[2]["commit"]["record"]["text"] == "so good"
    streamed = _received(sim, events[0]["time_us"], len(records))
    assert [e["commit"]["record"]["createdAt"] for e in streamed] == created
    after = httpx.get(f"{sim.root_url}/_sim/state").json()["world"]["interactions"]
    assert after == before


def test_a_bad_rate_is_refused_with_what_to_send(sim: RunningSimulator) -> None:
    for rate in (0, -1, "fast", True, 10**6):
        response = _emit(sim, {"records": [_like(1)], "rate": rate})
        assert response.status_code == 400
        assert "rate must be a number of events a second" in response.json()["error"]


def test_a_simulator_started_again_replays_its_event_file_from_a_cursor(
    sim: RunningSimulator, tmp_path: Path
) -> None:
    events = _emit(sim, {"records": [_like(1), _like(2), _like(3)], "rate": 100}).json()["events"]
    sim.stop()
    log = tmp_path / "events.jsonl"
    with log.open("a", encoding="utf-8") as file:
        file.write('{"did": "did:plc:cut-short", "time')  # a line a kill cut short
    again = start_simulator("bluesky", small_world("bluesky"), jetstream_log=log)
    try:
        replayed = _received(again, events[1]["time_us"], 2)
        assert replayed == events[1:]
        # New sends come after the replayed ones, with later times.
        [new] = _emit(again, {"records": [_like(4)], "rate": 100}).json()["events"]
        assert new["time_us"] > events[-1]["time_us"]
        assert new["commit"]["record"]["createdAt"] > events[-1]["commit"]["record"]["createdAt"]
    finally:
        again.stop()
