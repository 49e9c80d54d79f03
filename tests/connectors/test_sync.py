"""Syncs over real HTTP against the platform simulators, stored through the ingest pipeline."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from fanlens.connectors.sync import sync_account
from fanlens.interactions.generate import World
from tests.connectors.conftest import add_account, fast_http
from tests.connectors.expectations import (
    expected_counts,
    expected_posts,
    interaction_total,
    stored_counts,
    stored_posts,
)


@pytest.mark.parametrize("platform", ["youtube", "bluesky", "mastodon"])
def test_full_sync_stores_exactly_the_world_and_a_second_adds_nothing(
    platform: str, world: World, db: Engine, start_sim, secret_key: str
) -> None:  # type: ignore[no-untyped-def]
    sim = start_sim(platform, list(world.records()))
    account_id = add_account(db, platform, sim)

    first = sync_account(account_id=account_id, engine=db, http=fast_http())
    assert first.status == "succeeded", first.message
    assert stored_posts(db, platform) == expected_posts(world, platform)
    assert stored_counts(db, platform) == expected_counts(world, platform)

    total = interaction_total(db)
    second = sync_account(account_id=account_id, engine=db, http=fast_http())
    assert second.status == "succeeded", second.message
    assert second.inserted == 0
    assert interaction_total(db) == total
    assert second.api_calls < first.api_calls
