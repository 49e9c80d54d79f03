"""YouTube push notifications over real sockets: fanlens (served by uvicorn) subscribes at the
YouTube simulator's WebSub hub, the hub checks the intent with a GET challenge, and published
videos arrive as signed Atom notifications."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from fanlens.config import settings
from fanlens.connectors import repository
from fanlens.connectors.websub import LEASE_SECONDS, secret_for, subscribe_due, topic_for
from fanlens.db.engine import unit_of_work
from fanlens.demo.generate import World
from fanlens.kit.timeutil import parse_rfc3339
from fanlens.server.app import create_app
from fanlens.simulators import ids
from tests.connectors.asgi_server import serve
from tests.connectors.conftest import add_account

TOPIC = topic_for(ids.YOUTUBE_CREATOR_CHANNEL_ID)
NEW_VIDEO = {
    "type": "post", "platform": "youtube", "external_post_id": "vidWebSub0001",
    "caption": "Pour-over in 90 seconds", "posted_at": "2026-12-06T21:40:57Z",
}  # fmt: skip


@pytest.fixture
def fanlens_url(db: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with serve(create_app(engine=db)) as url:
        monkeypatch.setattr(settings, "public_url", url)
        yield url


@pytest.fixture
def youtube(  # type: ignore[no-untyped-def]
    world: World,
    db: Engine,
    start_sim,
    secret_key: str,
    fanlens_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Any:
    records = [r for r in world.records() if r.get("platform") == "youtube"]
    sim = start_sim("youtube", records)
    monkeypatch.setattr(settings, "youtube_hub_url", f"{sim.root_url}/hub/subscribe")
    sim.account_id = add_account(db, "youtube", sim)
    return sim


def hub_state(sim: Any) -> dict[str, Any]:
    return dict(httpx.get(f"{sim.root_url}/_sim/state", timeout=10).json()["hub"])


def wait_for(check: Callable[[], Any]) -> Any:
    """The hub checks the intent after answering 202: wait (bounded) until it has."""
    deadline = time.monotonic() + 20
    while not (found := check()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def subscription(db: Engine, account_id: Any) -> dict[str, Any]:
    with unit_of_work(db) as session:
        return repository.load_states(session, account_id).get(repository.WEBSUB_STATE, {})


def subscribed(sim: Any, db: Engine) -> dict[str, Any]:
    assert subscribe_due(datetime.now(UTC), engine=db) == [
        {"account_id": str(sim.account_id), "topic": TOPIC, "error": None}
    ]
    assert wait_for(lambda: subscription(db, sim.account_id).get("verified_at"))
    return subscription(db, sim.account_id)


def publish(sim: Any, **body: Any) -> dict[str, Any]:
    response = httpx.post(f"{sim.root_url}/_sim/hub/publish", json=body, timeout=30)
    assert response.status_code == 200, response.text
    return dict(response.json())


def posts(db: Engine, post_id: str) -> list[Any]:
    with db.connect() as conn:
        return list(
            conn.execute(
                text("SELECT caption, posted_at FROM content_posts WHERE external_post_id = :p"),
                {"p": post_id},
            )
        )


def test_the_hub_verifies_the_subscription_and_it_is_renewed_before_the_lease_ends(
    youtube: Any, db: Engine
) -> None:
    state = subscribed(youtube, db)

    assert state["topic"] == TOPIC and state["lease_seconds"] == LEASE_SECONDS
    ends = parse_rfc3339(state["expires_at"])
    [held] = hub_state(youtube)["subscriptions"]
    assert held["verified"] and held["topic"] == TOPIC and held["secret"]
    assert held["callback"] == state["callback"]
    assert subscribe_due(ends - timedelta(days=2), engine=db) == []  # the lease holds
    renewed = subscribe_due(ends - timedelta(hours=12), engine=db)  # it ends within a day
    assert [r["error"] for r in renewed] == [None]


def test_the_challenge_is_echoed_for_the_topic_asked_for_only(youtube: Any, db: Engine) -> None:
    state = subscribed(youtube, db)
    check = {"hub.mode": "subscribe", "hub.challenge": "c-123", "hub.lease_seconds": "600"}

    callback = httpx.URL(state["callback"])  # its query names the account
    right = httpx.get(callback.copy_merge_params({**check, "hub.topic": TOPIC}))
    other = httpx.get(callback.copy_merge_params({**check, "hub.topic": topic_for("UCother")}))
    unsubscribe = httpx.get(
        callback.copy_merge_params({**check, "hub.topic": TOPIC, "hub.mode": "unsubscribe"})
    )
    nobody = httpx.get(
        f"{settings.public_url}/webhooks/youtube",
        params={**check, "hub.topic": TOPIC, "account": "00000000-0000-0000-0000-000000000000"},
    )

    assert (right.status_code, right.text) == (200, "c-123")
    assert subscription(db, youtube.account_id)["lease_seconds"] == 600
    assert other.status_code == unsubscribe.status_code == nobody.status_code == 404
    assert "c-123" not in other.text


def test_a_signed_notification_stores_the_video_as_a_post_and_queues_a_sync(
    youtube: Any, db: Engine, fresh_database_url: str
) -> None:
    from fanlens.db.queue import ensure_schema

    ensure_schema(fresh_database_url)
    subscribed(youtube, db)

    answer = publish(youtube, records=[NEW_VIDEO])

    [delivery] = answer["deliveries"]
    assert delivery["status"] == 200, delivery
    assert delivery["response"] == {
        "videos": 1, "stored": 1, "deleted": 0, "rejected": 0, "sync_requested": True,
    }  # fmt: skip
    assert posts(db, "vidWebSub0001") == [
        ("Pour-over in 90 seconds", datetime(2026, 12, 6, 21, 40, 57, tzinfo=UTC))
    ]
    jobs = wait_for(lambda: queued(db))
    assert jobs == [("fanlens:sync_account", {"account_id": str(youtube.account_id)})]
    again = publish(youtube, video_id="vidWebSub0001")  # a repeat stores nothing new
    assert again["deliveries"][0]["response"]["stored"] == 0
    assert len(posts(db, "vidWebSub0001")) == 1


def queued(db: Engine) -> list[Any]:
    with db.connect() as conn:
        rows = conn.execute(
            text("SELECT task_name, args FROM procrastinate_jobs WHERE status = 'todo'")
        )
        return [(r.task_name, r.args) for r in rows]


def test_a_bad_signature_is_refused_and_nothing_is_stored(youtube: Any, db: Engine) -> None:
    subscribed(youtube, db)

    forged = publish(youtube, records=[NEW_VIDEO], secret="guessed")
    callback = subscription(db, youtube.account_id)["callback"]
    unsigned = httpx.post(callback, content=forged["payload"].encode())

    assert forged["deliveries"][0]["status"] == 401
    assert forged["deliveries"][0]["response"]["error"]["code"] == "bad_signature"
    assert unsigned.status_code == 401
    assert posts(db, "vidWebSub0001") == []


def test_a_deleted_video_is_acknowledged_and_its_post_kept(youtube: Any, db: Engine) -> None:
    subscribed(youtube, db)
    publish(youtube, records=[NEW_VIDEO])

    answer = publish(youtube, video_id="vidWebSub0001", deleted=True)

    assert "at:deleted-entry" in answer["payload"]
    response = answer["deliveries"][0]["response"]
    assert (response["deleted"], response["videos"], response["sync_requested"]) == (1, 0, False)
    assert len(posts(db, "vidWebSub0001")) == 1  # the post and its comments stay


def signed_post(callback: str, account_id: Any, body: bytes) -> httpx.Response:
    digest = hmac.new(secret_for(account_id).encode(), body, hashlib.sha256).hexdigest()
    return httpx.post(callback, content=body, headers={"x-hub-signature": f"sha256={digest}"})


def test_a_signed_body_that_is_not_atom_is_a_clear_error_and_a_foreign_entry_is_rejected(
    youtube: Any, db: Engine
) -> None:
    state = subscribed(youtube, db)
    foreign = publish(youtube, records=[NEW_VIDEO])["payload"].replace(
        ids.YOUTUBE_CREATOR_CHANNEL_ID + "</yt:channelId>", "UCsomeoneelse</yt:channelId>"
    )

    garbage = signed_post(state["callback"], youtube.account_id, b"<feed><entry>")
    other = signed_post(state["callback"], youtube.account_id, foreign.encode())

    assert garbage.status_code == 422 and "not XML" in garbage.json()["error"]["message"]
    assert other.status_code == 200
    assert other.json() == {
        "videos": 1, "stored": 0, "deleted": 0, "rejected": 1, "sync_requested": False,
    }  # fmt: skip
    with db.connect() as conn:
        reasons = conn.execute(
            text("SELECT message FROM ingest_rejects WHERE source LIKE 'webhook:youtube:%'")
        ).scalars()
        assert any("UCsomeoneelse" in r for r in reasons)


def test_the_hub_refuses_a_bad_request_and_a_denial_is_kept(youtube: Any, db: Engine) -> None:
    hub = f"{youtube.root_url}/hub/subscribe"
    bad = httpx.post(hub, data={"hub.mode": "subscribe", "hub.topic": TOPIC})  # no callback
    assert (bad.status_code, bad.text) == (400, "Invalid parameter: hub.callback")
    state = subscribed(youtube, db)

    denial = {"hub.mode": "denied", "hub.topic": TOPIC, "hub.reason": "topic not allowed"}
    denied = httpx.get(httpx.URL(state["callback"]).copy_merge_params(denial))

    assert denied.status_code == 200
    assert "topic not allowed" in subscription(db, youtube.account_id)["error"]
