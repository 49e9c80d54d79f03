"""Instagram webhooks over real sockets: the simulator signs and POSTs Graph webhook
notifications to fanlens served by uvicorn, which stores them through the ingest pipeline (and
reads each mention back from the simulator's Graph API); a later poll gives a webhook comment
its exact time."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, text

from fanlens.config import settings
from fanlens.connectors import service
from fanlens.connectors.sync import sync_account
from fanlens.db.engine import unit_of_work
from fanlens.demo.generate import World
from fanlens.server.app import create_app
from fanlens.simulators import ids
from fanlens.workspaces import service as workspaces
from fanlens.workspaces.models import Workspace
from tests.connectors.asgi_server import serve
from tests.connectors.conftest import add_account, fast_http
from tests.interactions.test_changes import _derived

SECRET = "meta-app-secret"
VERIFY = "my-verify-token"


@pytest.fixture
def fanlens_url(db: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setattr(settings, "instagram_app_secret", SecretStr(SECRET))
    monkeypatch.setattr(settings, "instagram_webhook_verify_token", SecretStr(VERIFY))
    with serve(create_app(engine=db)) as url:
        yield url


@pytest.fixture
def instagram(world: World, db: Engine, start_sim, secret_key: str, fanlens_url: str) -> Any:  # type: ignore[no-untyped-def]
    records = [r for r in world.records() if r.get("platform") == "instagram"]
    sim = start_sim(
        "instagram", records, webhook_url=f"{fanlens_url}/webhooks/instagram", app_secret=SECRET
    )
    sim.account_id = add_account(db, "instagram", sim)
    sim.post = next(r["external_post_id"] for r in records if r["type"] == "post")
    return sim


def comment(post: str, key: str, **extra: Any) -> dict[str, Any]:
    return {
        "interaction_type": "comment",
        "user": {"external_user_id": "webhook-fan", "username": "webhook_fan"},
        "external_post_id": post,
        "external_id": key,
        "text": "First! Loved this one",
        **extra,
    }


def deliver(sim: Any, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(f"{sim.root_url}/_sim/webhooks/{path}", json=body, timeout=30)
    assert response.status_code == 200, response.text
    return dict(response.json())


def stored(db: Engine) -> list[Any]:
    with db.connect() as conn:
        return list(
            conn.execute(
                text(
                    "SELECT interaction_type, external_id, parent_external_id, occurred_at, "
                    "time_precision FROM follower_interactions WHERE platform = 'instagram' "
                    "ORDER BY external_id"
                )
            )
        )


def count(db: Engine, table: str) -> int:
    with db.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_the_subscription_check_answers_the_challenge_only_with_the_verify_token(
    fanlens_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"{fanlens_url}/webhooks/instagram"
    good = {"hub.mode": "subscribe", "hub.challenge": "1158201444", "hub.verify_token": VERIFY}
    answer = httpx.get(url, params=good)
    assert answer.status_code == 200
    assert answer.text == "1158201444"
    assert answer.headers["content-type"].startswith("text/plain")

    for wrong in ({"hub.verify_token": "guess"}, {"hub.mode": "unsubscribe"}):
        refused = httpx.get(url, params={**good, **wrong})
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "forbidden"

    monkeypatch.setattr(settings, "instagram_webhook_verify_token", None)
    off = httpx.get(url, params=good)
    assert off.status_code == 404
    assert "FANLENS_INSTAGRAM_WEBHOOK_VERIFY_TOKEN" in off.json()["error"]["message"]


def test_a_signed_comment_is_stored_once_with_its_observed_time(instagram: Any, db: Engine) -> None:
    before = count(db, "follower_interactions")
    sent_at = datetime.now(UTC)
    first = deliver(instagram, "comment", comment(instagram.post, "wh-comment-1"))

    assert first["status"] == 200
    assert first["response"] == {
        "changes": 1,
        "stored": 1,
        "rejected": 0,
        "ignored": 0,
        "problems": [],
    }
    value = first["payload"]["entry"][0]["changes"][0]["value"]
    assert set(value) == {"from", "media", "id", "text"}  # the documented comment value
    rows = stored(db)
    assert len(rows) == 1
    kind, external_id, parent, occurred_at, precision = rows[0]
    assert (kind, external_id, parent) == (
        "comment",
        ids.instagram_comment_id("wh-comment-1"),
        None,
    )
    # The notification carries no comment time (entry.time is when Meta sent it).
    assert precision == "observed"
    assert sent_at - timedelta(seconds=5) <= occurred_at <= datetime.now(UTC)

    again = deliver(instagram, "comment", comment(instagram.post, "wh-comment-1"))
    assert again["response"]["stored"] == 0
    assert count(db, "follower_interactions") == before + 1


def test_a_poll_after_the_webhook_stores_nothing_new(instagram: Any, db: Engine) -> None:
    first = sync_account(account_id=instagram.account_id, engine=db, http=fast_http())
    assert first.status == "succeeded", first.message
    parent = comment(instagram.post, "wh-parent")
    reply = comment(
        instagram.post,
        "wh-reply",
        interaction_type="reply",
        parent_external_id="wh-parent",
        user={"external_user_id": "another-fan", "username": "another_fan"},
    )
    assert deliver(instagram, "comment", parent)["response"]["stored"] == 1
    answer = deliver(instagram, "comment", reply)
    assert answer["response"]["stored"] == 1
    assert answer["payload"]["entry"][0]["changes"][0]["value"]["parent_id"] == (
        ids.instagram_comment_id("wh-parent")
    )
    total = count(db, "follower_interactions")

    # A full poll reads every comment again (the world's posts keep fixed comment counts).
    second = sync_account(account_id=instagram.account_id, engine=db, http=fast_http(), full=True)

    assert second.status == "succeeded", second.message
    assert second.items["comments"] >= 2
    assert second.inserted == 0
    assert count(db, "follower_interactions") == total
    kinds = {row[1]: (row[0], row[2]) for row in stored(db)}
    assert kinds[ids.instagram_comment_id("wh-reply")] == (
        "reply",
        ids.instagram_comment_id("wh-parent"),
    )


def test_a_bad_or_missing_signature_is_refused_and_nothing_is_stored(
    instagram: Any, db: Engine, fanlens_url: str
) -> None:
    before = (count(db, "follower_interactions"), count(db, "ingest_rejects"))
    forged = deliver(instagram, "comment", {**comment(instagram.post, "forged"), "secret": "x"})
    assert forged["status"] == 401
    assert forged["response"]["error"]["code"] == "bad_signature"

    body = json.dumps(forged["payload"]).encode()
    url = f"{fanlens_url}/webhooks/instagram"
    for headers in ({}, {"x-hub-signature-256": "sha1=" + "0" * 40}):
        answer = httpx.post(
            url, content=body, headers={"content-type": "application/json", **headers}
        )
        assert answer.status_code == 401
        assert set(answer.json()) == {"error"}
    assert (count(db, "follower_interactions"), count(db, "ingest_rejects")) == before


def test_an_unknown_account_is_reported_and_a_bad_change_rejected_alone(
    instagram: Any, db: Engine, fanlens_url: str
) -> None:
    before = count(db, "follower_interactions")
    good = deliver(instagram, "comment", comment(instagram.post, "wh-good"))["payload"]
    good_change = good["entry"][0]["changes"][0]
    good_change["value"]["id"] = ids.instagram_comment_id("wh-good-2")
    unknown = {"id": "17841400000000000", "time": 1, "changes": [good_change]}
    mine = {
        "id": ids.INSTAGRAM_CREATOR_ID,
        "time": 1,
        "changes": [
            {"field": "comments", "value": {"id": "1", "from": {"id": "5"}, "text": "no media"}},
            good_change,
            {"field": "story_insights", "value": {"media_id": "1", "reach": 3}},
        ],
    }
    payload = {"object": "instagram", "entry": [unknown, mine, "not an entry"]}

    answer = deliver(instagram, "deliver", {"payload": payload})

    assert answer["status"] == 200
    result = answer["response"]
    assert (result["changes"], result["stored"], result["rejected"], result["ignored"]) == (
        4,
        1,
        1,
        1,
    )
    assert [(p["entry"], p["code"]) for p in result["problems"]] == [
        (0, "unknown_account"),
        (2, "malformed_entry"),
    ]
    assert "17841400000000000" in result["problems"][0]["message"]
    assert count(db, "follower_interactions") == before + 2
    with db.connect() as conn:
        reason = conn.execute(
            text("SELECT message FROM ingest_rejects WHERE source LIKE 'webhook:instagram:%'")
        ).scalar_one()
    assert "media" in reason


def test_a_body_that_is_not_an_instagram_delivery_is_a_clear_error(fanlens_url: str) -> None:
    for body in (b"{not json", b'{"object": "page", "entry": []}', b'{"object": "instagram"}'):
        signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        answer = httpx.post(
            f"{fanlens_url}/webhooks/instagram",
            content=body,
            headers={"x-hub-signature-256": f"sha256={signature}"},
        )
        assert answer.status_code == 422, answer.text
        assert answer.json()["error"]["code"] == "invalid_input"


# -- Instagram mentions, and webhook comments made exact by the poll ------------------------


AT = "2026-11-02T10:11:12Z"


def mention(key: str, where: str, **extra: Any) -> dict[str, Any]:
    return {
        "in": where,
        "record": {
            "interaction_type": "mention",
            "user": {"external_user_id": "mentioning-fan", "username": "mentioning_fan"},
            "external_id": key,
            "text": "You have to see @creator here",
            "occurred_at": AT,
            **extra,
        },
    }


def mentions(db: Engine) -> list[Any]:
    with db.connect() as conn:
        return list(
            conn.execute(
                text(
                    "SELECT i.external_id, i.occurred_at, i.time_precision, i.content_post_id, "
                    "i.interaction_value, f.external_user_id, f.username "
                    "FROM follower_interactions i JOIN followers f ON f.id = i.follower_id "
                    "WHERE i.platform = 'instagram' AND i.interaction_type = 'mention' "
                    "ORDER BY i.external_id"
                )
            )
        )


def test_a_comment_mention_is_stored_with_its_exact_time(instagram: Any, db: Engine) -> None:
    answer = deliver(instagram, "mention", mention("m-comment", "comment"))

    assert answer["status"] == 200
    assert answer["response"]["stored"] == 1, answer["response"]
    value = answer["payload"]["entry"][0]["changes"][0]
    assert value["field"] == "mentions"
    assert set(value["value"]) == {"media_id", "comment_id"}  # ids only, as Meta sends them
    [row] = mentions(db)
    assert row.external_id == ids.instagram_comment_id("m-comment")
    assert (row.occurred_at, row.time_precision) == (
        datetime(2026, 11, 2, 10, 11, 12, tzinfo=UTC),
        "exact",
    )
    assert row.content_post_id is None  # another account's media, not the creator's content
    assert row.interaction_value == "You have to see @creator here"
    # the fan's Instagram-scoped id, as their comments carry it
    assert row.external_user_id == ids.instagram_user_id("mentioning-fan")

    again = deliver(instagram, "mention", mention("m-comment", "comment"))
    assert again["response"]["stored"] == 0
    # on the creator's own media the comment is stored as a comment; it is not a mention too
    own = deliver(
        instagram, "mention", mention("m-own", "comment", external_post_id=instagram.post)
    )
    assert (own["response"]["stored"], own["response"]["rejected"]) == (0, 0)
    assert len(mentions(db)) == 1


def test_a_caption_mention_is_stored_with_its_exact_time(instagram: Any, db: Engine) -> None:
    answer = deliver(instagram, "mention", mention("m-caption", "caption"))

    assert answer["response"]["stored"] == 1, answer["response"]
    assert set(answer["payload"]["entry"][0]["changes"][0]["value"]) == {"media_id"}
    [row] = mentions(db)
    assert row.external_id == ids.instagram_media_id("m-caption")
    assert (row.occurred_at, row.time_precision) == (
        datetime(2026, 11, 2, 10, 11, 12, tzinfo=UTC),
        "exact",
    )
    assert row.interaction_value == "You have to see @creator here"
    assert row.external_user_id == row.username == "mentioning_fan"  # a caption names no id


def test_a_mention_that_cannot_be_read_is_rejected_alone(instagram: Any, db: Engine) -> None:
    payload = deliver(instagram, "mention", mention("m-good", "comment"))["payload"]
    unknown = {"field": "mentions", "value": {"media_id": "17900000000000001",
                                              "comment_id": "17800000000000009"}}  # fmt: skip
    payload["entry"][0]["changes"] = [unknown, {"field": "mentions", "value": {}}]

    answer = deliver(instagram, "deliver", {"payload": payload})

    assert answer["status"] == 200
    assert (answer["response"]["stored"], answer["response"]["rejected"]) == (0, 2)
    with db.connect() as conn:
        reasons = sorted(
            conn.execute(
                text("SELECT message FROM ingest_rejects WHERE source LIKE 'webhook:instagram:%'")
            ).scalars()
        )
    unreadable, malformed = sorted(reasons, key=lambda r: "media_id must" in r)
    assert "could not be read from Instagram" in unreadable and "does not exist" in unreadable
    assert "media_id must be a non-empty string" in malformed
    assert len(mentions(db)) == 1


def test_a_mention_with_a_bad_signature_is_refused_and_nothing_stored(
    instagram: Any,
    db: Engine,
    fanlens_url: str,
) -> None:
    before = (count(db, "follower_interactions"), count(db, "ingest_rejects"))
    forged = deliver(instagram, "mention", {**mention("m-forged", "comment"), "secret": "guess"})
    assert forged["status"] == 401
    assert forged["response"]["error"]["code"] == "bad_signature"
    unsigned = httpx.post(
        f"{fanlens_url}/webhooks/instagram",
        content=json.dumps(forged["payload"]).encode(),
        headers={"content-type": "application/json"},
    )
    assert unsigned.status_code == 401
    assert (count(db, "follower_interactions"), count(db, "ingest_rejects")) == before


def _times(db: Engine, external_id: str) -> set[tuple[Any, str]]:
    """(occurred_at, time_precision) of the interaction in every workspace that holds it."""
    with db.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT occurred_at, time_precision FROM follower_interactions "
                "WHERE platform = 'instagram' AND external_id = :id"
            ),
            {"id": external_id},
        )
        return {(r.occurred_at, r.time_precision) for r in rows}


def _polled_only(db: Engine) -> tuple[Any, Any]:
    """The same Instagram account connected in a workspace of its own: (account, workspace)."""
    with unit_of_work(db) as session:
        ws = workspaces.create(session=session, name="polled-only")
        account = service.add(
            session=session,
            workspace_id=ws.id,
            platform="instagram",
            handle=ids.INSTAGRAM_CREATOR_USERNAME,
            external_id=ids.INSTAGRAM_CREATOR_ID,
            credentials={"access_token": "IGQV-test"},
        )
        return account.id, ws.id


def _derived_of(db: Engine, account_id: Any) -> dict[str, Any]:
    with unit_of_work(db) as session:
        account = service.get_or_raise(session=session, account_id=account_id)
        workspace = session.get(Workspace, account.workspace_id)
        assert workspace is not None
        return _derived(session, workspace)


def test_a_webhook_comment_takes_its_exact_time_from_the_next_poll(
    instagram: Any, db: Engine
) -> None:
    written = datetime(2026, 11, 3, 8, 9, 10, tzinfo=UTC)
    late = comment(instagram.post, "wh-late", occurred_at="2026-11-03T08:09:10Z")
    deliver(instagram, "comment", late)
    comment_id = ids.instagram_comment_id("wh-late")
    assert {p for _, p in _times(db, comment_id)} == {"observed"}

    run = sync_account(account_id=instagram.account_id, engine=db, http=fast_http(), full=True)

    assert run.status == "succeeded", run.message
    assert _times(db, comment_id) == {(written, "exact")}
    # every derived row is what a workspace that only ever polled holds
    other, _ = _polled_only(db)
    polled = sync_account(account_id=other, engine=db, http=fast_http(), full=True)
    assert polled.status == "succeeded", polled.message
    assert _derived_of(db, instagram.account_id) == _derived_of(db, other)

    # a webhook copy after the poll never takes the exact time away
    assert deliver(instagram, "comment", late)["response"]["stored"] == 0
    assert _times(db, comment_id) == {(written, "exact")}


# -- TikTok ----------------------------------------------------------------------------------


@pytest.fixture
def tiktok(
    world: World,
    db: Engine,
    start_sim,  # type: ignore[no-untyped-def]
    secret_key: str,
    fanlens_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Any:
    monkeypatch.setattr(settings, "tiktok_client_secret", SecretStr("s"))  # the sim's secret
    records = [r for r in world.records() if r.get("platform") == "tiktok"]
    sim = start_sim("tiktok", records, webhook_url=f"{fanlens_url}/webhooks/tiktok")
    sim.account_id = add_account(db, "tiktok", sim)
    return sim


def tiktok_event(sim: Any, **body: Any) -> dict[str, Any]:
    return deliver(sim, "event", body)


def account_state(db: Engine, account_id: Any) -> tuple[str, str | None]:
    with db.connect() as conn:
        row = conn.execute(
            text("SELECT status, last_error FROM accounts WHERE id = :id"), {"id": account_id}
        ).one()
    return row.status, row.last_error


def test_tiktok_authorization_removed_flags_the_account(tiktok: Any, db: Engine) -> None:
    answer = tiktok_event(tiktok, event="authorization.removed", content={"reason": 1})

    assert answer["status"] == 200
    assert answer["response"] == {
        "event": "authorization.removed",
        "accounts": 1,
        "action": "needs_reauth",
        "problems": [],
    }
    assert isinstance(answer["payload"]["content"], str)  # serialised, as TikTok sends it
    status, last_error = account_state(db, tiktok.account_id)
    assert status == "needs_reauth"
    assert "disconnected fanlens in the TikTok app" in (last_error or "")


def test_tiktok_publish_completed_queues_a_sync_of_the_account(
    tiktok: Any, db: Engine, fresh_database_url: str
) -> None:
    from fanlens.db.queue import ensure_schema

    ensure_schema(fresh_database_url)
    content = {"publish_id": "v_pub_url~v2.123", "publish_type": "DIRECT_PUBLISH"}
    answer = tiktok_event(tiktok, event="video.publish.completed", content=content)

    assert answer["response"]["action"] == "sync_requested"
    deadline = time.monotonic() + 10  # the job is queued after the response, once committed
    jobs: list[Any] = []
    while not jobs and time.monotonic() < deadline:
        with db.connect() as conn:
            jobs = list(
                conn.execute(
                    text("SELECT task_name, args FROM procrastinate_jobs WHERE status = 'todo'")
                )
            )
        time.sleep(0.05)
    assert [(j.task_name, j.args) for j in jobs] == [
        ("fanlens:sync_account", {"account_id": str(tiktok.account_id)})
    ]
    assert account_state(db, tiktok.account_id)[0] == "active"

    other = tiktok_event(tiktok, event="video.upload.failed", content={"publish_id": "x"})
    assert other["response"]["action"] == "ignored"


def test_tiktok_bad_stale_or_unknown_deliveries_change_nothing(
    tiktok: Any, db: Engine, fanlens_url: str
) -> None:
    forged = tiktok_event(tiktok, event="authorization.removed", secret="guess")
    assert forged["status"] == 401
    assert forged["response"]["error"]["code"] == "bad_signature"
    stale = tiktok_event(tiktok, event="authorization.removed", timestamp=int(time.time()) - 3600)
    assert stale["status"] == 401
    missing = httpx.post(f"{fanlens_url}/webhooks/tiktok", content=json.dumps(forged["payload"]))
    assert missing.status_code == 401
    assert account_state(db, tiktok.account_id) == ("active", None)

    unknown = tiktok_event(tiktok, event="authorization.removed", user_openid="-000nobody")
    assert unknown["status"] == 200
    assert unknown["response"]["accounts"] == 0
    assert [p["code"] for p in unknown["response"]["problems"]] == ["unknown_account"]
    assert account_state(db, tiktok.account_id) == ("active", None)
