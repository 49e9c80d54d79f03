"""Synthetic worlds: a realistic creator audience written as interchange-format records.

The tests, benchmarks, demo and platform simulators all draw from these worlds, and the world
knows its own truth (how often each follower did what, which identities are one person), so
what fanlens stores can be checked against it.

Shape of a world: a creator who posts regularly up to the world's end (its anchor); most content
items go out on two to four platforms within a day, each platform's caption the item's own words
in the platform's wording (hashtags and platform lines differ, now and then a line is added), some
items on one platform only; each post has its own appeal, so how well an item does differs by
platform; fans whose activity is heavy-tailed (most act once or twice, a few hundreds of times);
bursts of activity right after each post; comments with emoji, questions, praise, complaints, a
few in other languages and scripts; some fans present on two or three platforms under similar
handles; some interactions seen without a time.
"""

from __future__ import annotations

import itertools
import json
import math
import random
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

ANCHOR = datetime(2026, 11, 23, tzinfo=UTC)  # fixed, so a seed always gives the same world

PLATFORM_TYPES: dict[str, list[tuple[str, float]]] = {
    "tiktok": [
        ("like", 55),
        ("comment", 14),
        ("reply", 3),
        ("share", 8),
        ("save", 8),
        ("profile_visit", 9),
        ("follow", 3),
    ],
    "instagram": [
        ("like", 52),
        ("comment", 14),
        ("reply", 3),
        ("share", 6),
        ("save", 9),
        ("profile_visit", 8),
        ("link_click", 5),
        ("follow", 3),
    ],
    "youtube": [("like", 60), ("comment", 25), ("reply", 8), ("share", 4), ("follow", 3)],
    "bluesky": [
        ("like", 55),
        ("comment", 18),
        ("repost", 12),
        ("quote", 4),
        ("follow", 6),
        ("mention", 5),
    ],
    "mastodon": [("like", 55), ("comment", 18), ("repost", 15), ("follow", 7), ("mention", 5)],
}
PLATFORMS = list(PLATFORM_TYPES)
PLATFORM_WEIGHTS = [34, 26, 20, 11, 9]  # where fans are
# The share of the creator's items each platform carries: most items go out on two to four.
PLATFORM_SHARES = {
    "tiktok": 0.8,
    "instagram": 0.65,
    "youtube": 0.5,
    "bluesky": 0.4,
    "mastodon": 0.4,
}
# Types with the platform's own id; the rest are identified by (type, post, user, time).
TYPES_WITH_IDS = {"comment", "reply", "repost", "quote", "mention"}
ONCE_PER_POST = {"like", "save", "repost", "follow"}  # a fan likes a post once
POSTLESS = {"follow", "profile_visit"}

# days: how far back the creator's first item goes (a tiny world is a month of twice-weekly posts).
SIZES: dict[str, dict[str, int]] = {
    "tiny": {"followers": 60, "content": 8, "interactions": 1_200, "days": 28},
    "small": {"followers": 5_000, "content": 200, "interactions": 150_000, "days": 364},
    "medium": {"followers": 100_000, "content": 2_000, "interactions": 5_000_000, "days": 364},
    "large": {"followers": 1_000_000, "content": 20_000, "interactions": 20_000_000, "days": 364},
}

TOPICS = [
    "cold brew",
    "sourdough",
    "latte art",
    "espresso",
    "pour over",
    "matcha",
    "french press",
    "iced mocha",
    "chai",
    "decaf",
    "oat milk",
    "moka pot",
    "aeropress",
    "cortado",
    "affogato",
    "drip coffee",
    "nitro brew",
    "turkish coffee",
    "flat white",
    "coffee beans",
]
FORMATS = [
    "in 60 seconds",
    "the easy way",
    "mistakes to avoid",
    "for beginners",
    "taste test",
    "at home",
    "on a budget",
    "like a pro",
    "myths busted",
    "3 ways",
]
PRAISE = [
    "Love this 😍",
    "This is amazing!",
    "Best tutorial ever 🔥🔥",
    "So helpful, thank you!",
    "Wow 🤯 game changer",
    "Obsessed with this ☕️",
    "You never miss 👏",
    "Great video!",
    "This made my morning ❤️",
    "Saving this for later 🙌",
]
QUESTIONS = [
    "What grinder do you use?",
    "How long do you steep it?",
    "Can I use decaf?",
    "Where did you get that mug?",
    "Does this work with oat milk?",
    "What ratio do you recommend?",
    "Is this cheaper than buying it?",
    "Could you do a video on cold foam?",
]
COMPLAINTS = [
    "Too much talking, get to the point",
    "This didn't work for me at all 😞",
    "Terrible advice honestly",
    "The audio is awful",
    "Clickbait title 👎",
    "I hate when creators do this",
    "Way too bitter, disappointed",
]
NEUTRAL = [
    "first",
    "watching from the office",
    "ok",
    "hmm interesting",
    "@mention_a_friend",
    "part 2?",
]
FOREIGN = [
    "¡Me encanta este video! ☕",
    "Muito bom, obrigado!",
    "Das ist wirklich toll!",
    "C'est génial, merci beaucoup",
    "これはすごい！",
    "هذا رائع جدا ☕",
    "זה מדהים, תודה!",
    "Questo è fantastico",
]
NAMES = [
    "amy",
    "ben",
    "cara",
    "dan",
    "eve",
    "finn",
    "gia",
    "hugo",
    "ivy",
    "jay",
    "kai",
    "lena",
    "milo",
    "nia",
    "omar",
    "pia",
    "quinn",
    "rosa",
    "sam",
    "tess",
    "uma",
    "vik",
    "wren",
    "xena",
    "yuri",
    "zoe",
]
HOOK_WORDS = [
    "honestly", "finally", "secret", "trick", "weekend", "budget", "lazy", "perfect", "creamy",
    "bold", "smooth", "quick", "classic", "viral", "tested", "ranked", "cheap", "fancy",
    "rainy", "sunday", "office", "camping", "travel", "grandma", "barista", "science",
]  # fmt: skip
WORDS = ["coffee", "brew", "bean", "latte", "daily", "cozy", "morning", "roast", "cup", "foam"]
# A wide world's fans also have a family name: tens of thousands of fans all called one of 26
# first names would make most of them look like one person under two handles, which real
# audiences do not (the people refresh compares handles within one display name).
SURNAMES = [
    "adams", "baker", "chen", "diaz", "evans", "fischer", "garcia", "hansen", "ito", "jones",
    "khan", "lopez", "moreau", "novak", "okafor", "patel", "quiroga", "rossi", "silva", "tanaka",
    "ueda", "varga", "weber", "xu", "yilmaz", "zhang", "berg", "costa", "dubois", "eriksen",
    "ferreira", "gruber", "horvat", "ivanova", "janssen", "kowalski", "larsen", "mensah",
    "nakamura", "olsen",
]  # fmt: skip


@dataclass
class Post:
    platform: str
    external_post_id: str
    content_key: str
    title: str
    posted_at: datetime
    caption: str
    appeal: float  # how much this post draws fans and views, relative to its platform's usual


@dataclass
class Fan:
    platform: str
    external_user_id: str
    username: str
    display_name: str
    person: int
    n_interactions: int


@dataclass
class World:
    """A deterministic synthetic world; records are produced lazily, so large worlds stream."""

    size: str = "small"
    seed: int = 0
    anchor: datetime = ANCHOR
    # unlinked: posts carry no content.key, so which posts are one content item is known only
    # to the world (planted_links), as when the posts arrive through the platforms' APIs.
    unlinked: bool = False
    # followers: the size's interactions spread over this many followers instead (a wide world:
    # many fans acting a handful of times each)
    followers: int | None = None
    spec: dict[str, int] = field(init=False)
    posts: list[Post] = field(init=False, default_factory=list)
    fans: list[Fan] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        if self.size not in SIZES:
            raise ValueError(f"unknown world size {self.size!r}; choose one of {', '.join(SIZES)}")
        self.spec = dict(SIZES[self.size])
        if self.followers is not None:
            self.spec["followers"] = self.followers
        rng = random.Random(f"{self.seed}:catalog")
        span = timedelta(days=self.spec["days"])
        self.posts = _make_posts(rng, self.spec["content"], self.anchor, span)
        self.fans = _make_fans(
            rng,
            self.spec["followers"],
            self.spec["interactions"],
            surnames=self.followers is not None,
        )

    def records(self) -> Iterator[dict[str, Any]]:
        """Posts, then followers, then interactions (shuffled in windows, as a sync delivers)."""
        for i, p in enumerate(self.posts):
            record = _post_record(p, i, self.seed)
            if self.unlinked:
                del record["content"]
            yield record
        bios = _bios(self.fans)
        yield from (_follower_record(f, bios.get(f.external_user_id)) for f in self.fans)
        yield from self._interactions()

    def jsonl_lines(self) -> Iterator[str]:
        for record in self.records():
            yield json.dumps(record, ensure_ascii=False, separators=(",", ":"))

    def expected_counts(self) -> Counter[tuple[str, str, str]]:
        """How many interactions each (platform, external_user_id, type) has in this world."""
        counts: Counter[tuple[str, str, str]] = Counter()
        for r in self._interactions():
            counts[(r["platform"], r["user"]["external_user_id"], r["interaction_type"])] += 1
        return counts

    def planted_people(self) -> list[list[tuple[str, str]]]:
        """Identities on several platforms that are one person (the truth for identity tests)."""
        by_person: dict[int, list[tuple[str, str]]] = {}
        for fan in self.fans:
            by_person.setdefault(fan.person, []).append((fan.platform, fan.external_user_id))
        return [ids for ids in by_person.values() if len(ids) > 1]

    def planted_links(self) -> set[frozenset[tuple[str, str]]]:
        """Pairs of posts (platform, external_post_id) that are one content item."""
        by_key: dict[str, list[tuple[str, str]]] = {}
        for post in self.posts:
            by_key.setdefault(post.content_key, []).append((post.platform, post.external_post_id))
        return {frozenset((a, b)) for ids in by_key.values() for a in ids for b in ids if a < b}

    def _interactions(self) -> Iterator[dict[str, Any]]:
        rng = random.Random(f"{self.seed}:activity")
        posts_by_platform: dict[str, list[Post]] = {p: [] for p in PLATFORMS}
        for post in self.posts:
            posts_by_platform[post.platform].append(post)
        appeal = {
            p: list(itertools.accumulate(x.appeal for x in posts_by_platform[p])) for p in PLATFORMS
        }
        window: list[dict[str, Any]] = []
        for fan in self.fans:
            posts = posts_by_platform[fan.platform]
            window.extend(_fan_activity(rng, fan, posts, appeal[fan.platform], self.anchor))
            if len(window) >= 50_000:
                rng.shuffle(window)
                yield from window
                window = []
        rng.shuffle(window)
        yield from window


def generate_world(
    size: str = "small",
    seed: int = 0,
    *,
    unlinked: bool = False,
    anchor: datetime | None = None,
    followers: int | None = None,
) -> World:
    """`anchor` is when the world ends (the demo passes the moment it is made); `followers`
    replaces the size's follower count, keeping its interactions."""
    return World(
        size=size, seed=seed, unlinked=unlinked, anchor=anchor or ANCHOR, followers=followers
    )


CAPTION_STYLES = {
    "tiktok": "{title} {hook} #fyp #coffee",
    "instagram": "{title} | {hook} (link in bio) #coffee",
    "youtube": "{title}: {hook} #shorts",
    "bluesky": "new video: {title}, {hook}",
    "mastodon": "{title} - {hook} #coffee",
}
# Lines a creator adds on one platform only; each adds one word that linking counts.
EDIT_LINES = ["sound on 🔊", "save this ☕", "🔁 repost this"]
CROSS_POST_HOURS = 20  # an item's posts go out within this many hours of the first one


def _make_posts(
    rng: random.Random, n_content: int, anchor: datetime, span: timedelta
) -> list[Post]:
    """Items at a steady pace over `span`, each in its own slot; the newest goes out hours
    before the anchor, so the account is active when the world ends."""
    posts: list[Post] = []
    slot = span / n_content
    cadence = {p: rng.random() for p in PLATFORMS}  # where each platform's rhythm starts
    for i in range(n_content):
        title = f"{rng.choice(TOPICS).capitalize()} {rng.choice(FORMATS)}"
        key = f"c{i:06d}-{title.lower().replace(' ', '-')}"
        hook = " ".join(rng.sample(HOOK_WORDS, 3))
        most = min(slot.total_seconds() / 3600 * 0.8, 30)
        lead = timedelta(hours=most * rng.uniform(0.1, 1))
        first = anchor - slot * (n_content - 1 - i) - lead
        age = int((anchor - first).total_seconds() / 60)
        room = max(1, min(CROSS_POST_HOURS * 60, age - 30))
        platforms = _platforms_of(i, cadence, rng)
        n_platforms = len(platforms)
        edited = rng.randrange(n_platforms) if rng.random() < 0.3 else -1
        for n, platform in enumerate(platforms):
            posted = first + timedelta(minutes=rng.randrange(0, room) if n else 0)
            caption = CAPTION_STYLES[platform].format(title=title, hook=hook)
            if n == edited:
                caption += " " + rng.choice(EDIT_LINES)
            appeal = rng.lognormvariate(0, 0.4)
            posts.append(
                Post(platform, f"{platform[:2]}-{i:06d}", key, title, posted, caption, appeal)
            )
    return posts


def _platforms_of(i: int, cadence: dict[str, float], rng: random.Random) -> list[str]:
    """Where item `i` goes out: each platform carries its share of the items at a steady
    rhythm (a creator posts there regularly), the first in the list (shuffled) first."""
    chosen = [
        p
        for p, share in PLATFORM_SHARES.items()
        if math.floor((i + 1) * share + cadence[p]) > math.floor(i * share + cadence[p])
    ]
    if not chosen:
        chosen = [
            max(PLATFORM_SHARES, key=lambda p: ((i + 1) * PLATFORM_SHARES[p] + cadence[p]) % 1)
        ]
    rng.shuffle(chosen)
    return chosen


def _pick_platforms(rng: random.Random, n: int) -> list[str]:
    chosen: list[str] = []
    while len(chosen) < n:
        p = rng.choices(PLATFORMS, weights=PLATFORM_WEIGHTS)[0]
        if p not in chosen:
            chosen.append(p)
    return chosen


def _make_fans(
    rng: random.Random, n_fans: int, n_interactions: int, *, surnames: bool = False
) -> list[Fan]:
    # Lognormal activity, scaled so the world's total is near its target: the median fan acts
    # about twice, the busiest a few thousand times.
    sigma = 2.3
    mu = math.log(max(n_interactions / n_fans, 1.0)) - sigma * sigma / 2
    fans: list[Fan] = []
    person = 0
    while len(fans) < n_fans:
        base = f"{rng.choice(NAMES)}_{rng.choice(WORDS)}{rng.randrange(1000)}"
        name = base.split("_")[0].title()
        if surnames:
            name = f"{name} {rng.choice(SURNAMES).title()}"
        n_ids = rng.choices([1, 2, 3], weights=[90, 8, 2])[0]
        for platform in _pick_platforms(rng, n_ids):
            n = min(5_000, max(1, round(math.exp(rng.gauss(mu, sigma)))))
            uid = f"{platform[:2]}u{len(fans):07d}"
            fans.append(Fan(platform, uid, _handle_variant(rng, base), name, person, n))
        person += 1
    return fans[:n_fans]


def _handle_variant(rng: random.Random, base: str) -> str:
    return rng.choice([base, base.replace("_", ""), base.replace("_", "."), base + "_"])


def _post_record(post: Post, index: int, seed: int) -> dict[str, Any]:
    rng = random.Random(f"{seed}:metrics:{index}")
    views = int(rng.lognormvariate(9, 1.0) * post.appeal)
    return {
        "type": "post",
        "platform": post.platform,
        "external_post_id": post.external_post_id,
        "content": {"key": post.content_key, "title": post.title},
        "url": f"https://{post.platform}.example/p/{post.external_post_id}",
        "caption": post.caption,
        "posted_at": _ts(post.posted_at),
        "metrics": {
            "views": views,
            "likes": int(views * rng.uniform(0.02, 0.12)),
            "comments": int(views * rng.uniform(0.002, 0.02)),
            "shares": int(views * rng.uniform(0.001, 0.01)),
            "saves": int(views * rng.uniform(0.001, 0.02)),
        },
    }


def _profile_url(fan: Fan) -> str:
    return f"https://{fan.platform}.example/@{fan.username}"


def _bios(fans: list[Fan]) -> dict[str, str]:
    """Bios by external user id: about 40 % of the people on several platforms name another
    of their profiles (the link evidence of identity resolution); some others link a shop.
    Decided by a hash of the person, so adding bios leaves every other record unchanged."""
    by_person: dict[int, list[Fan]] = {}
    for fan in fans:
        by_person.setdefault(fan.person, []).append(fan)
    bios: dict[str, str] = {}
    for person, group in by_person.items():
        roll = zlib.crc32(f"bio:{person}".encode()) % 100
        first = group[0]
        if len(group) > 1 and roll < 40:
            other = group[1]
            bios[first.external_user_id] = f"coffee nerd, also on {other.platform}: " + (
                _profile_url(other)
            )
        elif roll >= 90:
            bios[first.external_user_id] = f"my latte art: https://shop.example/{first.username}"
    return bios


def _follower_record(fan: Fan, bio: str | None = None) -> dict[str, Any]:
    record: dict[str, Any] = {
        "type": "follower",
        "platform": fan.platform,
        "external_user_id": fan.external_user_id,
        "username": fan.username,
        "display_name": fan.display_name,
        "profile_url": _profile_url(fan),
        "follower_count": _reach(fan),
    }
    if bio is not None:
        record["bio"] = bio
    return record


def _reach(fan: Fan) -> int:
    return zlib.crc32(fan.external_user_id.encode()) % 50_000 + 10


def _fan_activity(
    rng: random.Random, fan: Fan, posts: list[Post], appeal: list[float], anchor: datetime
) -> Iterator[dict[str, Any]]:
    """`appeal` is the running total of the posts' appeal: fans pick appealing posts more."""
    if not posts:
        return
    types, weights = zip(*PLATFORM_TYPES[fan.platform], strict=True)
    user = {
        "external_user_id": fan.external_user_id,
        "username": fan.username,
        "display_name": fan.display_name,
    }
    seen: set[tuple[str, str]] = set()
    followed = False
    for n in range(fan.n_interactions):
        kind = rng.choices(types, weights=weights)[0]
        post = rng.choices(posts, cum_weights=appeal)[0]
        if kind == "follow":
            if followed:
                kind = "like"
            followed = True
        if kind in ONCE_PER_POST and kind != "follow":
            if (kind, post.external_post_id) in seen:
                kind = "comment" if "comment" in types else kind
            seen.add((kind, post.external_post_id))
        record = _interaction(rng, fan, post, kind, n, anchor)
        record["user"] = user
        yield record


def _interaction(
    rng: random.Random, fan: Fan, post: Post, kind: str, n: int, anchor: datetime
) -> dict[str, Any]:
    # Bursts after the post: most activity within hours, a long tail over weeks.
    delay = rng.expovariate(1 / 12) if rng.random() < 0.4 else rng.expovariate(1 / 240)
    when = post.posted_at + timedelta(hours=delay)
    if when >= anchor:  # the world ends at its anchor: fold late activity back before it
        room = (anchor - post.posted_at).total_seconds()
        when = post.posted_at + timedelta(seconds=rng.uniform(0, room))
    record: dict[str, Any] = {
        "type": "interaction",
        "platform": fan.platform,
        "interaction_type": kind,
    }
    if kind not in POSTLESS:
        record["external_post_id"] = post.external_post_id
    if kind in TYPES_WITH_IDS:
        record["external_id"] = f"{fan.external_user_id}-{n}"
    if kind in ("comment", "reply", "quote", "mention"):
        record["text"] = _comment_text(rng)
    if kind == "reply":
        record["parent_external_id"] = f"parent-{post.external_post_id}"
    # A few likes and saves come without a time (platforms that list who, not when): those
    # are stored as observed, and are once per fan and post, so they stay unique. A fan who
    # acted once is more often known only that way (a like seen in a list, nothing more).
    untimed = 0.25 if fan.n_interactions == 1 else 0.03
    if not (kind in ("like", "save") and rng.random() < untimed):
        record["occurred_at"] = _ts(when)
    return record


def _comment_text(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.45:
        return rng.choice(PRAISE)
    if roll < 0.65:
        return rng.choice(QUESTIONS)
    if roll < 0.80:
        return rng.choice(COMPLAINTS)
    if roll < 0.94:
        return rng.choice(NEUTRAL)
    return rng.choice(FOREIGN)


def _ts(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
