"""The live view: the NOTIFY the ingest pipeline sends at commit, and the server-sent-events
stream of `GET live` served by a real uvicorn, read over a socket."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest
import uvicorn
from sqlalchemy.orm import Session

from fanlens.interactions.ingest import ingest_records
from fanlens.server.app import create_app
from tests.api.conftest import API, World, _world
from tests.helpers import fanlens_env, free_port, invoke_cli, wait_for_http


@pytest.fixture(scope="module")
def live_world(admin_url: str, template_database: str) -> Iterator[World]:
    yield from _world(admin_url, template_database)


@pytest.fixture(scope="module")
def base(live_world: World) -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(create_app(live_world.engine), port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=20)
    assert not thread.is_alive(), "open live streams held the shutdown up"


def comment(text: str, user: str = "live_fan", occurred_at: str | None = None) -> dict[str, Any]:
    record: dict[str, Any] = {
        "type": "interaction", "platform": "tiktok", "interaction_type": "comment",
        "external_id": f"c-{uuid.uuid4().hex}", "external_post_id": "live-post",
        "user": {"external_user_id": f"id-{user}", "username": user}, "text": text,
    }  # fmt: skip
    if occurred_at:
        record["occurred_at"] = occurred_at
    return record


def notifications(conn: psycopg.Connection[Any], seconds: float) -> list[dict[str, Any]]:
    return [json.loads(n.payload) for n in conn.notifies(timeout=seconds)]


def test_notify_is_delivered_at_commit_with_ids_or_a_count(live_world: World) -> None:
    url = live_world.engine.url.set(drivername="postgresql")
    ws = live_world.ids["a"]
    with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute("LISTEN fanlens_live")
        with Session(live_world.engine) as session:
            ingest_records(session, workspace_id=ws, records=[comment("rolled back")], source="t")
            session.rollback()
        assert notifications(conn, 0.5) == []  # never stored, never told

        with Session(live_world.engine) as session:
            summary = ingest_records(session, workspace_id=ws, records=[comment("one")], source="t")
            assert summary.interactions_inserted == 1
            assert notifications(conn, 0.3) == []  # not before the commit
            session.commit()
        (message,) = notifications(conn, 2)
        assert message["w"] == str(ws) and message["n"] == 1 and len(message["ids"]) == 1

        bulk = [comment(f"bulk {n}", user=f"bulk{n}") for n in range(150)]
        with Session(live_world.engine) as session:
            ingest_records(session, workspace_id=ws, records=bulk, source="t")
            session.commit()
        (message,) = notifications(conn, 2)
        assert message == {"w": str(ws), "n": 150, "ids": None}  # a bulk batch: a count only

        with Session(live_world.engine) as session:  # stored already: nothing new, no message
            ingest_records(session, workspace_id=ws, records=bulk[:3], source="t")
            session.commit()
        assert notifications(conn, 0.5) == []


class Reader:
    """Reads a server-sent-events response in a thread, collecting its events."""

    def __init__(self, base: str, token: str, **params: Any) -> None:
        self.events: list[dict[str, Any]] = []
        self.lines: list[str] = []
        self.status = 0
        self.headers: dict[str, str] = {}
        self._ready = threading.Event()
        self._headers = {"Authorization": f"Bearer {token}"}
        if "last_event_id" in params:
            self._headers["Last-Event-ID"] = params.pop("last_event_id")
        self._url, self._params = f"{base}{API}/live", params
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        assert self._ready.wait(10), "the stream did not start"

    def _read(self) -> None:
        with httpx.stream(
            "GET", self._url, params=self._params, headers=self._headers, timeout=30
        ) as response:
            self.status, self.headers = response.status_code, dict(response.headers)
            event: dict[str, Any] = {}
            for line in response.iter_lines():
                self.lines.append(line)
                self._ready.set()
                if line.startswith(("id: ", "event: ")):
                    key, _, value = line.partition(": ")
                    event[key] = value
                elif line.startswith("data: "):
                    event["data"] = json.loads(line[6:])
                elif line == "" and event:
                    self.events.append(event)
                    event = {}
        self._ready.set()

    def wait_for(self, kind: str, count: int = 1, seconds: float = 10) -> list[dict[str, Any]]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            found = [e for e in self.events if e.get("event") == kind]
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"no {count} {kind} event(s) in {self.lines}")

    def join(self, seconds: float) -> None:
        self._thread.join(seconds)
        assert not self._thread.is_alive(), "the stream did not end"


def post(base: str, world: World, records: list[dict[str, Any]], who: str = "a_write") -> None:
    response = httpx.post(f"{base}{API}/ingest", json=records, headers=world.headers(who))
    assert response.status_code == 200, response.text
    assert response.json()["interactions_inserted"] == len(records)


def test_an_ingested_comment_reaches_its_workspace_stream_only(
    base: str, live_world: World
) -> None:
    a = Reader(base, live_world.tokens["a_read"], max_seconds=8)
    b = Reader(base, live_world.tokens["b_read"], max_seconds=3)
    assert a.status == 200 and a.headers["content-type"].startswith("text/event-stream")
    post(base, live_world, [comment("seen live", occurred_at="2026-12-06T20:00:00Z")])
    (event,) = a.wait_for("interaction")
    data = event["data"]
    assert event["id"] == data["id"]
    assert data["interaction_type"] == "comment" and data["interaction_value"] == "seen live"
    assert data["username"] == "live_fan" and data["platform"] == "tiktok"
    assert data["occurred_at"].startswith("2026-12-06T20:00:00")
    assert data["time_precision"] == "exact"
    assert data["content_id"] and data["follower_id"] and "content_title" in data
    b.join(10)  # ended after its max_seconds, without a word of workspace A
    assert b.status == 200 and b.events == []

    post(base, live_world, [comment("no time given")], who="a_write")
    second = a.wait_for("interaction", 2)[1]["data"]
    assert second["time_precision"] == "observed"  # "seen by" fanlens, not the platform's time


def test_last_event_id_replays_what_was_missed(base: str, live_world: World) -> None:
    first = Reader(base, live_world.tokens["a_read"], max_seconds=1)
    post(base, live_world, [comment("before the cut")])
    seen = first.wait_for("interaction")[-1]
    first.join(10)
    post(base, live_world, [comment("missed 1"), comment("missed 2")])  # nobody connected
    time.sleep(1)  # the hub reads them for the workspace watched a moment ago
    again = Reader(base, live_world.tokens["a_read"], max_seconds=1, last_event_id=seen["id"])
    again.join(10)
    texts = [e["data"]["interaction_value"] for e in again.events if e["event"] == "interaction"]
    assert sorted(texts) == ["missed 1", "missed 2"]

    unknown = Reader(base, live_world.tokens["a_read"], max_seconds=1, last_event_id="nope")
    unknown.join(10)
    assert [e["event"] for e in unknown.events] == ["gap"]


def test_live_refuses_a_bad_token_and_bad_parameters(base: str, live_world: World) -> None:
    assert httpx.get(f"{base}{API}/live").status_code == 401
    bad = httpx.get(f"{base}{API}/live", params={"max_seconds": "0"}, headers=live_world.headers())
    assert bad.status_code == 422


def test_fanlens_serve_stops_at_once_with_a_stream_open(fresh_database_url: str) -> None:
    """uvicorn waits for open responses before it stops; the live streams end when it is told
    to stop, so SIGTERM is not held up by a browser tab left open."""
    env = fanlens_env(database_url=fresh_database_url)
    created = invoke_cli("token", "create", "--scope", "read", "--name", "live", env=env)
    token = created.stdout.strip().splitlines()[-1]
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "fanlens", "serve", "--port", str(port), "--no-migrate",
         "--no-worker"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_for_http(f"{base}/healthz").status_code == 200
        reader = Reader(base, token)
        assert reader.status == 200
        proc.terminate()
        # uvicorn waits for open responses before it exits: had the stream not ended, the
        # process would still be serving it when this wait gives up.
        proc.wait(timeout=15)
        reader.join(5)  # the stream ended, not cut off mid-event
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
