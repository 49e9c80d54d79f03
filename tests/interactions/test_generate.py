"""The synthetic world cross-posts as creators do and ends at its anchor; read from its lines."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from fanlens.demo.generate import generate_world

ANCHOR = datetime(2026, 12, 6, 4, 30, tzinfo=UTC)


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _items(records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    items: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        if r["type"] == "post":
            items.setdefault(r["content"]["key"], []).append(r)
    return items


def test_items_go_out_on_several_platforms_within_a_day_with_platform_worded_captions() -> None:
    records = list(generate_world("small", seed=3, anchor=ANCHOR).records())
    items = _items(records)
    spread = Counter(len(posts) for posts in items.values())
    assert (spread[2] + spread[3] + spread[4]) / len(items) >= 0.7 and spread[1] > 0
    for posts in items.values():
        times = [_time(p["posted_at"]) for p in posts]
        assert max(times) - min(times) < timedelta(hours=24)
        # The captions differ (hashtags, platform lines) but their words mostly agree.
        bare = [set(re.sub(r"#\w+", "", p["caption"].lower()).split()) for p in posts]
        for a in bare[1:]:
            assert len(a & bare[0]) >= 4
    multi = [posts for posts in items.values() if len(posts) > 1]
    assert len({p["caption"] for posts in multi for p in posts}) == sum(map(len, multi))


def test_the_best_platform_differs_between_items() -> None:
    records = list(generate_world("small", seed=3, anchor=ANCHOR).records())
    best: Counter[str] = Counter()
    for posts in _items(records).values():
        if len(posts) > 1:
            top = max(posts, key=lambda p: sum(p["metrics"][k] for k in ("likes", "comments",
                      "shares", "saves")))  # fmt: skip
            best[top["platform"]] += 1
    assert len(best) == 5 and max(best.values()) < 0.6 * sum(best.values())


def test_the_world_ends_at_its_anchor_with_activity_up_to_the_last_hour() -> None:
    for size in ("tiny", "small"):
        records = list(generate_world(size, seed=7, anchor=ANCHOR).records())
        times = [_time(r["occurred_at"]) for r in records if "occurred_at" in r]
        posted = [_time(r["posted_at"]) for r in records if r["type"] == "post"]
        assert max(times + posted) < ANCHOR
        assert max(times) >= ANCHOR - timedelta(hours=1)
        # Complete weeks before the anchor: each holds activity, none more than 3x the median.
        weeks = Counter((t - timedelta(days=t.weekday())).date() for t in times)
        full = sorted(weeks)[1:-1]
        counts = sorted(weeks[w] for w in full)
        assert len(full) >= 2 and counts[0] > 0
        assert counts[-1] <= 3 * counts[len(counts) // 2]


def test_a_seed_always_gives_the_same_world() -> None:
    one = list(generate_world("tiny", seed=5, anchor=ANCHOR).jsonl_lines())
    assert one == list(generate_world("tiny", seed=5, anchor=ANCHOR).jsonl_lines())
    shifted = list(generate_world("tiny", seed=5, anchor=ANCHOR + timedelta(days=1)).records())
    assert len(shifted) == len(one)


def test_a_wide_world_spreads_the_same_activity_over_more_followers() -> None:
    deep = list(generate_world("tiny", seed=2).records())
    wide = list(generate_world("tiny", seed=2, followers=600).records())
    followers = {r["user"]["external_user_id"] for r in wide if r["type"] == "interaction"}
    assert sum(r["type"] == "follower" for r in wide) == 600
    assert len(followers) > 3 * len({r["user"]["external_user_id"] for r in deep if "user" in r})
    interactions = [sum(r["type"] == "interaction" for r in w) for w in (deep, wide)]
    assert 0.5 < interactions[1] / interactions[0] < 2


def test_a_wide_world_has_family_names_and_keeps_one_name_per_person() -> None:
    world = generate_world("tiny", seed=2, followers=600)
    names = {fan.display_name for fan in world.fans}
    assert len(names) > 100  # not just the 26 first names
    by_person: dict[int, set[str]] = {}
    for fan in world.fans:
        by_person.setdefault(fan.person, set()).add(fan.display_name)
    assert all(len(n) == 1 for n in by_person.values())
