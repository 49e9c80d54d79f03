"""A sync refreshes the merge suggestions: no manual refresh between it and the people page."""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from fanlens.connectors.sync import sync_account
from fanlens.demo.generate import generate_world
from tests.connectors.conftest import add_account, fast_http
from tests.people.test_refresh_after_ingest import decided_by_the_threshold, suggestions

PLATFORMS = ("youtube", "bluesky", "mastodon")


def test_a_sync_refreshes_the_suggestions(
    fresh_database_url: str, start_sim: Any, secret_key: str
) -> None:
    records = list(generate_world("tiny", seed=11).records())
    engine = create_engine(fresh_database_url, poolclass=NullPool)
    for platform in PLATFORMS:
        sim = start_sim(platform, [r for r in records if r["platform"] == platform])
        account = add_account(engine, platform, sim)
        result = sync_account(account_id=account, engine=engine, http=fast_http())
        assert result.status == "succeeded", result.message
    rows = suggestions(engine)
    assert rows and {frozenset((r.pa, r.pb)) for r in rows} <= {
        frozenset(p)
        for p in (("youtube", "bluesky"), ("youtube", "mastodon"), ("bluesky", "mastodon"))
    }
    decided_by_the_threshold(rows)
    engine.dispose()
