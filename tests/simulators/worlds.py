"""Small hand-written interchange worlds for the simulator tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def ts(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def user(platform: str, n: int) -> dict[str, Any]:
    return {
        "external_user_id": f"{platform[:2]}u{n:04d}",
        "username": f"fan_{n}",
        "display_name": f"Fan {n}",
    }


def interaction(
    platform: str, kind: str, fan: int, minute: int, post: str | None, **extra: Any
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "type": "interaction",
        "platform": platform,
        "interaction_type": kind,
        "user": user(platform, fan),
        "occurred_at": ts(START + timedelta(minutes=minute)),
    }
    if post:
        record["external_post_id"] = post
    return record | extra


def small_world(platform: str, fans: int = 30) -> list[dict[str, Any]]:
    """Two posts; on the first, every fan comments, likes, reposts and follows; a few reply,
    quote and mention. Enough items for several pages at small limits."""
    p1, p2 = f"{platform[:2]}-p1", f"{platform[:2]}-p2"
    records: list[dict[str, Any]] = [
        {
            "type": "post",
            "platform": platform,
            "external_post_id": p1,
            "content": {"key": "cold-brew", "title": "Cold brew in 60 seconds"},
            "caption": "Cold brew in 60 seconds ☕",
            "posted_at": ts(START),
        },
        {
            "type": "post",
            "platform": platform,
            "external_post_id": p2,
            "caption": "Latte art for beginners",
            "posted_at": ts(START + timedelta(days=1)),
            "metrics": {"views": 1000, "likes": 77, "comments": 5, "shares": 3},
        },
    ]
    for n in range(fans):
        records.append({"type": "follower", "platform": platform, **user(platform, n)})
        records.append(
            interaction(
                platform, "comment", n, n, p1, external_id=f"c{n}", text=f"Love this 😍 #{n}"
            )
        )
        records.append(interaction(platform, "like", n, 100 + n, p1))
        records.append(interaction(platform, "repost", n, 200 + n, p1, external_id=f"r{n}"))
        records.append(interaction(platform, "follow", n, 300 + n, None))
    for n in range(5):
        records.append(
            interaction(
                platform,
                "reply",
                n,
                400 + n,
                p1,
                external_id=f"re{n}",
                text="agreed!",
                parent_external_id="c0",
            )
        )
        records.append(
            interaction(platform, "quote", n, 500 + n, p1, external_id=f"q{n}", text="look at this")
        )
        records.append(
            interaction(
                platform, "mention", n, 600 + n, p1, external_id=f"m{n}", text="you should see this"
            )
        )
    return records
