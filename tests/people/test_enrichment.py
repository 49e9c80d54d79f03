"""Profile enrichment from a connector's profile endpoint, against the Bluesky simulator."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, text

from fanlens.connectors.sync import sync_account
from fanlens.interactions.generate import World
from fanlens.people.runner import enrich_account, run_all
from tests.connectors.conftest import (  # noqa: F401  (fixtures)
    add_account,
    db,
    fast_http,
    secret_key,
    start_sim,
    world,
)


def test_profiles_are_refreshed_from_bluesky(
    db: Engine,  # noqa: F811
    world: World,  # noqa: F811
    start_sim: Any,  # noqa: F811
    secret_key: str,  # noqa: F811
) -> None:
    sim = start_sim("bluesky", list(world.records()))
    account_id = add_account(db, "bluesky", sim)
    sync_account(account_id=account_id, engine=db, http=fast_http())
    with db.begin() as conn:
        synced = dict(
            conn.execute(
                text("SELECT id, follower_count FROM followers WHERE platform = 'bluesky'")
            ).all()
        )
        # Forget what the sync learnt, as if the profiles had gone stale.
        conn.execute(text("UPDATE followers SET follower_count = NULL WHERE platform = 'bluesky'"))
    assert synced and any(v is not None for v in synced.values())

    result = enrich_account(account_id, engine=db, http=fast_http())
    assert result is not None and result.asked == len(synced) and result.refreshed > 0
    with db.connect() as conn:
        now = dict(
            conn.execute(
                text("SELECT id, follower_count FROM followers WHERE platform = 'bluesky'")
            ).all()
        )
        tiers = conn.execute(
            text(
                "SELECT DISTINCT fanlens_reach_tier(f.follower_count) FROM followers f "
                "JOIN identity_profiles p ON p.follower_id = f.id"
            )
        ).scalars()
        stamped = conn.execute(text("SELECT count(*) FROM identity_profiles")).scalar_one()
    # Every count the sync saw comes back, and identities the sync only saw liking or replying
    # (no follower count in those views) get one too.
    assert all(now[k] == v for k, v in synced.items() if v is not None)
    known = sum(v is not None for v in now.values())
    assert known > sum(v is not None for v in synced.values())
    assert stamped == len(synced)
    assert set(tiers) <= {"nano", "micro", "macro", "mega"}
    # The scheduled job runs enrichment and suggestions for every workspace.
    runs = run_all(engine=db)
    assert runs and runs[0].enriched[0].platform == "bluesky"
