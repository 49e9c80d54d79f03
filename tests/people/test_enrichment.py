"""Profile enrichment from the connectors' profile endpoints, against the simulators
(Bluesky getProfiles, YouTube channels.list, Mastodon accounts/:id)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Engine, text

from fanlens.connectors.sync import sync_account
from fanlens.db.engine import unit_of_work
from fanlens.demo.generate import World
from fanlens.interactions.ingest import ingest_records
from fanlens.people.runner import enrich_account, run_all
from fanlens.simulators.ids import mastodon_account_id
from fanlens.simulators.world import SimUser
from fanlens.workspaces import repository as workspaces
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


URL = re.compile(r"https?://[^\s<>\"']+")


def reach_tier(count: int | None) -> str | None:
    """The issue's tiers, written out here so the test does not trust the SQL function."""
    if count is None:
        return None
    return next(
        (
            tier
            for tier, below in (("nano", 10**4), ("micro", 10**5), ("macro", 10**6))
            if count < below
        ),
        "mega",
    )


def first_user(generated: World, platform: str, kinds: tuple[str, ...]) -> tuple[str, str]:
    """A user of the platform the sync will see (through one of these interactions), and the
    post they acted on."""
    for record in generated.records():
        if (
            record["type"] == "interaction"
            and record["platform"] == platform
            and record["interaction_type"] in kinds
        ):
            return record["user"]["external_user_id"], record.get("external_post_id", "")
    raise AssertionError(f"no {platform} user in the world")


def add_unknown_identity(engine: Engine, platform: str, external_user_id: str) -> None:
    """An identity the platform no longer knows (deleted since it was seen)."""
    with unit_of_work(engine) as session:
        workspace = workspaces.get_by_name(session, "default")
        assert workspace is not None
        record = {"type": "follower", "platform": platform, "external_user_id": external_user_id}
        ingest_records(session, workspace_id=workspace.id, records=[record], source="test")


def forget_profiles(engine: Engine, platform: str) -> None:
    """As if the profiles had gone stale: only the enrichment can bring these back."""
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE followers SET follower_count = NULL, bio = NULL WHERE platform = :p"),
            {"p": platform},
        )


def enriched(engine: Engine, platform: str) -> dict[str, Any]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT f.external_user_id, f.follower_count, f.bio, f.display_name, f.avatar_url,"
                " fanlens_reach_tier(f.follower_count) AS tier, p.links, p.refreshed_at "
                "FROM followers f LEFT JOIN identity_profiles p ON p.follower_id = f.id "
                "WHERE f.platform = :p"
            ),
            {"p": platform},
        )
        return {row.external_user_id: row for row in rows}


def test_youtube_channels_fill_counts_bios_and_tiers(
    db: Engine,  # noqa: F811
    world: World,  # noqa: F811
    start_sim: Any,  # noqa: F811
    secret_key: str,  # noqa: F811
) -> None:
    famous, video = first_user(world, "youtube", ("comment",))
    bio = "barista; also https://bsky.app/profile/famous.bsky.social"
    planted = [
        # A commenter with a mega reach (the API shows 2 340 000) and a bio.
        {"type": "follower", "platform": "youtube", "external_user_id": famous,
         "follower_count": 2_345_678, "bio": bio},
        # A commenter who hides their subscriber count (no count in the world).
        {"type": "interaction", "platform": "youtube", "interaction_type": "comment",
         "external_post_id": video, "external_id": "hidden-comment-1", "text": "first!",
         "occurred_at": "2026-02-01T10:00:00Z",
         "user": {"external_user_id": "UChidden", "username": "quiet_one"}},
    ]  # fmt: skip
    sim = start_sim("youtube", [*world.records(), *planted])
    account_id = add_account(db, "youtube", sim)
    sync_account(account_id=account_id, engine=db, http=fast_http())
    add_unknown_identity(db, "youtube", "UCdeleted")
    forget_profiles(db, "youtube")

    result = enrich_account(account_id, engine=db, http=fast_http())
    now = enriched(db, "youtube")
    users: dict[str, SimUser] = sim.simulator.world.users
    assert len(now) >= 5
    assert result is not None and result.asked == len(now) and result.refreshed == len(now) - 1
    for uid, row in now.items():
        assert row.refreshed_at is not None, uid  # every identity asked for is stamped
        if uid == "UCdeleted":  # unknown to the platform: skipped, the batch went on
            assert row.follower_count is None and row.bio is None
            continue
        user = users[uid]
        expected = _three_figures(user.follower_count)
        assert (row.follower_count, row.bio) == (expected, user.bio), uid
        assert row.tier == reach_tier(expected) == reach_tier(user.follower_count), uid
        assert row.display_name == (user.display_name or user.username)
        assert row.avatar_url and row.avatar_url.startswith("https://yt3.ggpht.com/")
    assert (now[famous].follower_count, now[famous].tier) == (2_340_000, "mega")
    assert now["UChidden"].follower_count is None and now["UChidden"].tier is None
    assert {row.tier for row in now.values()} >= {"mega", "micro"}


def _three_figures(count: int | None) -> int | None:
    if count is None:
        return None
    scale = 10 ** max(len(str(count)) - 3, 0)
    return count // scale * scale


def test_mastodon_accounts_fill_counts_bios_links_and_tiers(
    db: Engine,  # noqa: F811
    world: World,  # noqa: F811
    start_sim: Any,  # noqa: F811
    secret_key: str,  # noqa: F811
) -> None:
    fan, _ = first_user(world, "mastodon", ("like", "repost", "comment", "follow"))
    planted = {
        "type": "follower", "platform": "mastodon", "external_user_id": fan,
        "follower_count": 1_500_000, "bio": "roaster. shop: https://shop.example/fan",
        "profile_fields": {"Bluesky": "https://bsky.app/profile/fan.bsky.social",
                           "Pronouns": "they/them"},
    }  # fmt: skip
    sim = start_sim("mastodon", [*world.records(), planted])
    account_id = add_account(db, "mastodon", sim)
    sync_account(account_id=account_id, engine=db, http=fast_http())
    add_unknown_identity(db, "mastodon", "999999999999")
    forget_profiles(db, "mastodon")

    result = enrich_account(account_id, engine=db, http=fast_http())
    now = enriched(db, "mastodon")
    users = {mastodon_account_id(u.external_user_id): u for u in sim.simulator.world.users.values()}
    assert len(now) >= 3
    assert result is not None and result.asked == len(now) and result.refreshed == len(now) - 1
    for uid, row in now.items():
        assert row.refreshed_at is not None, uid
        if uid == "999999999999":  # 404 Record not found: skipped, the batch went on
            assert row.follower_count is None and row.links == []
            continue
        user = users[uid]
        assert (row.follower_count, row.bio) == (user.follower_count, user.bio), uid
        assert row.tier == reach_tier(user.follower_count), uid
        field_links = [v for v in (user.profile_fields or {}).values() if URL.fullmatch(v)]
        assert row.links == field_links + URL.findall(user.bio or ""), uid
    mine = now[mastodon_account_id(fan)]
    assert (mine.follower_count, mine.tier) == (1_500_000, "mega")
    assert mine.links == [
        "https://bsky.app/profile/fan.bsky.social",
        "https://shop.example/fan",
    ]
