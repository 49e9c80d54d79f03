"""What a sync of a world can store, per platform, in the platform's own ids."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, text

from fanlens.demo.generate import World
from fanlens.simulators import ids

# Interaction types each platform's API reveals (README's table): the rest are not available.
AVAILABLE = {
    "youtube": {"comment", "reply"},
    "bluesky": {"like", "comment", "reply", "repost", "quote", "follow", "mention"},
    "mastodon": {"like", "comment", "reply", "repost", "follow"},
    "mastodon+token": {"like", "comment", "reply", "repost", "follow", "mention"},
    "instagram": {"comment", "reply"},
    "tiktok": {"comment", "reply"},
}


def user_id(platform: str, external_user_id: str) -> str:
    if platform == "bluesky":
        return ids.bluesky_did(external_user_id)
    if platform == "mastodon":
        return ids.mastodon_account_id(external_user_id)
    if platform == "instagram":
        return ids.instagram_user_id(external_user_id)
    if platform == "tiktok":
        return ids.tiktok_user_id(external_user_id)
    return external_user_id


def post_id(platform: str, record: dict[str, Any]) -> str:
    external = str(record["external_post_id"])
    if platform == "bluesky":
        return ids.bluesky_post_uri(ids.BLUESKY_CREATOR_DID, external)
    if platform == "mastodon":
        when = datetime.fromisoformat(record["posted_at"].replace("Z", "+00:00"))
        return ids.mastodon_status_id(external, when)
    if platform == "instagram":
        return ids.instagram_media_id(external)
    if platform == "tiktok":
        return ids.tiktok_video_id(external)
    return external


def expected_counts(
    world: World, platform: str, *, token: bool = False
) -> Counter[tuple[str, str]]:
    available = AVAILABLE[f"{platform}+token" if token and platform == "mastodon" else platform]
    return Counter(
        {
            (user_id(platform, user), kind): count
            for (p, user, kind), count in world.expected_counts().items()
            if p == platform and kind in available
        }
    )


def expected_posts(world: World, platform: str) -> set[str]:
    return {
        post_id(platform, r)
        for r in world.records()
        if r["type"] == "post" and r["platform"] == platform
    }


def stored_counts(engine: Engine, platform: str) -> Counter[tuple[str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT f.external_user_id, i.interaction_type, count(*) "
                "FROM follower_interactions i JOIN followers f ON f.id = i.follower_id "
                "WHERE i.platform = :p GROUP BY 1, 2"
            ),
            {"p": platform},
        )
        return Counter({(user, kind): n for user, kind, n in rows})


def stored_posts(engine: Engine, platform: str) -> set[str]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT external_post_id FROM content_posts "
                "WHERE platform = :p AND NOT is_placeholder"
            ),
            {"p": platform},
        )
        return {r[0] for r in rows}


def interaction_total(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM follower_interactions")).scalar_one())
