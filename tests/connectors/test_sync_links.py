"""A sync links cross-posts of the platforms it has seen; a full re-sync keeps an unlink."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from fanlens.connectors.sync import sync_account
from fanlens.content import linking
from fanlens.db.engine import unit_of_work
from fanlens.demo.generate import generate_world
from fanlens.simulators import ids
from fanlens.workspaces import repository as workspaces
from tests.analytics.test_auto_link import _db_pairs, _first_moved_post, _truth
from tests.connectors.conftest import add_account, fast_http


def test_sync_links_cross_posts_and_a_full_resync_keeps_an_unlink(
    fresh_database_url: str, start_sim: Any, secret_key: str
) -> None:
    records = list(generate_world("tiny", seed=3).records())
    platforms = ("youtube", "instagram")
    truth = {pair for pair in _truth(records) if {p for p, _ in pair} <= set(platforms)}
    world_ids = {
        ids.instagram_media_id(r["external_post_id"]): r["external_post_id"]
        for r in records
        if r["type"] == "post" and r["platform"] == "instagram"
    }
    engine = create_engine(fresh_database_url, poolclass=NullPool)
    accounts = []
    for platform in platforms:
        sim = start_sim(platform, [r for r in records if r["platform"] == platform])
        accounts.append(add_account(engine, platform, sim))
    for account in accounts:
        result = sync_account(account_id=account, engine=engine, http=fast_http())
        assert result.status == "succeeded", result.message
    assert truth and _db_pairs(engine, world_ids) == truth

    with unit_of_work(engine) as session:
        ws = workspaces.get_by_name(session, "default")
        assert ws is not None
        linking.unlink(
            session=session, workspace_id=ws.id, post_id=uuid.UUID(_first_moved_post(engine))
        )
    apart = _db_pairs(engine, world_ids)
    assert apart < truth
    for account in accounts:
        sync_account(account_id=account, engine=engine, http=fast_http(), full=True)
    assert _db_pairs(engine, world_ids) == apart
    engine.dispose()
