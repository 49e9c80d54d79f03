"""Every fault a platform throws, over real HTTP: retried, rejected, or flagged on the account."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, text

from fanlens.connectors.sync import AccountNotActive, sync_account
from fanlens.demo.generate import World
from tests.connectors.conftest import account_row, add_account, fast_http, recording_http
from tests.connectors.expectations import expected_counts, stored_counts


def last_run(engine: Engine, account_id: object) -> Any:
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT status, last_error, rejects, api_calls, items, finished_at "
                "FROM sync_runs WHERE account_id = :id ORDER BY started_at DESC LIMIT 1"
            ),
            {"id": account_id},
        ).one()


def test_429_with_retry_after_is_honoured(world: World, db: Engine, start_sim, secret_key) -> None:  # type: ignore[no-untyped-def]
    sim = start_sim("bluesky", list(world.records()))
    sim.set_faults(too_many_requests={"count": 2, "retry_after": 3})
    account_id = add_account(db, "bluesky", sim)
    slept: list[float] = []

    result = sync_account(account_id=account_id, engine=db, http=recording_http(slept))

    assert result.status == "succeeded", result.message
    assert slept[:2] == [3.0, 3.0]
    assert stored_counts(db, "bluesky") == expected_counts(world, "bluesky")


@pytest.mark.parametrize("html", [False, True])
def test_server_errors_are_retried(
    world: World, db: Engine, start_sim, secret_key, html: bool
) -> None:  # type: ignore[no-untyped-def]
    sim = start_sim("youtube", list(world.records()))
    sim.set_faults(server_errors={"count": 3, "status": 503, "html": html})
    account_id = add_account(db, "youtube", sim)
    slept: list[float] = []

    result = sync_account(account_id=account_id, engine=db, http=recording_http(slept))

    assert result.status == "succeeded", result.message
    assert slept == [0.01, 0.02, 0.04]  # exponential backoff
    assert stored_counts(db, "youtube") == expected_counts(world, "youtube")


def test_slow_responses_time_out_and_are_retried(
    world: World, db: Engine, start_sim, secret_key
) -> None:  # type: ignore[no-untyped-def]
    sim = start_sim("mastodon", list(world.records()))
    sim.set_faults(delay={"count": 2, "seconds": 1.0})
    account_id = add_account(db, "mastodon", sim)
    slept: list[float] = []

    result = sync_account(account_id=account_id, engine=db, http=recording_http(slept, timeout=0.3))

    assert result.status == "succeeded", result.message
    assert len(slept) == 2
    assert stored_counts(db, "mastodon") == expected_counts(world, "mastodon")


def test_errors_that_outlast_the_retries_fail_the_run_and_the_next_sync_resumes(
    world: World, db: Engine, start_sim, secret_key
) -> None:  # type: ignore[no-untyped-def]
    sim = start_sim("bluesky", list(world.records()))
    account_id = add_account(db, "bluesky", sim)
    sim.set_faults(server_errors={"count": -1, "match": "getLikes"})

    failed = sync_account(account_id=account_id, engine=db, http=fast_http())

    assert failed.status == "failed"
    assert failed.message and "500" in failed.message
    assert account_row(db, account_id).status == "active"  # transient: the account is fine
    run = last_run(db, account_id)
    assert run.status == "failed" and run.finished_at is not None and "500" in run.last_error

    sim.clear_faults()
    resumed = sync_account(account_id=account_id, engine=db, http=fast_http())
    assert resumed.status == "succeeded"
    assert resumed.items.get("posts", 0) <= failed.items.get("posts", 0)  # kept its cursor
    assert stored_counts(db, "bluesky") == expected_counts(world, "bluesky")


@pytest.mark.parametrize("platform", ["youtube", "bluesky", "mastodon"])
def test_a_malformed_item_is_rejected_and_the_sync_goes_on(
    world: World, db: Engine, start_sim, secret_key, platform: str
) -> None:  # type: ignore[no-untyped-def]
    sim = start_sim(platform, list(world.records()))
    fragment = {"youtube": "commentThreads", "bluesky": "getLikes", "mastodon": "context"}
    sim.set_faults(malformed={"count": 1, "match": fragment[platform]})
    account_id = add_account(db, platform, sim)

    result = sync_account(account_id=account_id, engine=db, http=fast_http())

    assert result.status == "succeeded", result.message
    assert result.reject_count == 1 and len(result.rejects) == 1
    assert last_run(db, account_id).rejects == 1
    with db.connect() as conn:
        kept = conn.execute(text("SELECT source, reason, raw FROM ingest_rejects")).all()
    assert len(kept) == 1 and kept[0].source.startswith(f"sync:{platform}:")
    assert kept[0].reason == "malformed_upstream_item" and kept[0].raw
    expected, stored = expected_counts(world, platform), stored_counts(db, platform)
    assert 0 < sum(expected.values()) - sum(stored.values()) <= 1 + 5  # the item (and replies)

    again = sync_account(account_id=account_id, engine=db, http=fast_http())
    assert again.reject_count == 0
    assert stored_counts(db, platform) == expected  # the post was read again


@pytest.mark.parametrize(
    ("platform", "token"),
    [("youtube", "expired"), ("bluesky", "expired"), ("mastodon", "revoked")],
)
def test_an_expired_or_revoked_token_flags_the_account_needs_reauth(
    world: World, db: Engine, start_sim, secret_key, platform: str, token: str
) -> None:  # type: ignore[no-untyped-def]
    sim = start_sim(platform, list(world.records()))
    sim.set_faults(token=token)
    account_id = add_account(db, platform, sim, token="user-token")

    result = sync_account(account_id=account_id, engine=db, http=fast_http())

    assert result.status == "needs_reauth"
    assert result.message and "reconnect" in result.message
    row = account_row(db, account_id)
    assert row.status == "needs_reauth" and row.last_error == result.message
    assert last_run(db, account_id).status == "needs_reauth"
    with pytest.raises(AccountNotActive, match="needs_reauth"):
        sync_account(account_id=account_id, engine=db, http=fast_http())


@pytest.mark.parametrize("platform", ["youtube", "bluesky", "mastodon"])
def test_a_deleted_channel_marks_the_account_gone(
    world: World, db: Engine, start_sim, secret_key, platform: str
) -> None:  # type: ignore[no-untyped-def]
    sim = start_sim(platform, list(world.records()))
    sim.set_faults(deleted_account=True)
    account_id = add_account(db, platform, sim)

    result = sync_account(account_id=account_id, engine=db, http=fast_http())

    assert result.status == "gone", result.message
    assert account_row(db, account_id).status == "gone"
    assert last_run(db, account_id).status == "gone"


def test_an_endpoint_that_disappears_fails_cleanly(
    world: World, db: Engine, start_sim, secret_key
) -> None:  # type: ignore[no-untyped-def]
    sim = start_sim("youtube", list(world.records()))
    sim.set_faults(gone=["/videos"])
    account_id = add_account(db, "youtube", sim)

    result = sync_account(account_id=account_id, engine=db, http=fast_http())

    assert result.status == "failed"
    assert result.message and "404" in result.message
    assert account_row(db, account_id).status == "active"
