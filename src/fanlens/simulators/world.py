"""The simulated platform's data: one platform's slice of an interchange-format world.

Records are the interchange format v1 (posts, followers, interactions). Adding the same record
twice changes nothing (interactions are keyed like fanlens keys them), and a post record whose id is
already known replaces that post's caption and metrics, so tests can move counts on.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from fanlens.simulators.ids import digest

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(slots=True)
class SimUser:
    external_user_id: str
    username: str
    display_name: str | None = None
    profile_url: str | None = None
    avatar_url: str | None = None
    follower_count: int | None = None
    bio: str | None = None
    verified: bool | None = None
    # Not interchange v1: a simulator-only extension so tests can plant profile fields
    # (name -> value, e.g. {"Website": "https://…"}) that platforms like Mastodon show.
    profile_fields: dict[str, str] | None = None

    def merge(self, record: dict[str, Any]) -> None:
        for name in ("username", "display_name", "profile_url", "avatar_url", "bio", "verified"):
            if record.get(name) is not None:
                setattr(self, name, record[name])
        if isinstance(record.get("profile_fields"), dict):
            self.profile_fields = {str(k): str(v) for k, v in record["profile_fields"].items()}
        if isinstance(record.get("follower_count"), int):
            self.follower_count = record["follower_count"]


@dataclass(slots=True)
class SimPost:
    external_post_id: str
    posted_at: datetime
    caption: str
    title: str
    url: str | None
    metrics: dict[str, int]


@dataclass(slots=True)
class SimInteraction:
    kind: str
    user_id: str
    key: str  # the platform's id for it, or a stable one made from its identity
    post_id: str | None
    text: str | None
    parent_id: str | None
    occurred_at: datetime
    exact_time: bool
    seq: int


@dataclass
class PlatformWorld:
    """Posts, users and interactions of one platform, indexed for the simulators' queries."""

    platform: str
    posts: dict[str, SimPost] = field(default_factory=dict)
    users: dict[str, SimUser] = field(default_factory=dict)
    interactions: dict[str, SimInteraction] = field(default_factory=dict)
    version: int = 0
    lock: threading.RLock = field(default_factory=threading.RLock)
    _by_kind: dict[str, dict[str | None, list[SimInteraction]]] = field(default_factory=dict)
    _indexed_version: int = -1
    _sorted: dict[tuple[tuple[str, ...], str | None], list[SimInteraction]] = field(
        default_factory=dict
    )

    def add(self, records: Iterable[dict[str, Any]]) -> int:
        """Add this platform's records; return how many were new or changed."""
        added = 0
        with self.lock:
            for record in records:
                if record.get("platform") == self.platform:
                    added += self._add_one(record)
            if added:
                self.version += 1
        return added

    def remove(self, key: str) -> SimInteraction | None:
        """Take an interaction out of the world (its author deleted it); the removed one."""
        with self.lock:
            removed = self.interactions.pop(key, None)
            if removed is not None:
                self.version += 1
        return removed

    def _add_one(self, record: dict[str, Any]) -> int:
        kind = record.get("type")
        if kind == "post":
            self.posts[record["external_post_id"]] = _post(record)
            return 1
        if kind == "follower":
            self._user(record)
            return 1
        if kind == "interaction":
            interaction = self._interaction(record)
            if interaction.key in self.interactions:
                return 0
            self.interactions[interaction.key] = interaction
            return 1
        return 0

    def _user(self, record: dict[str, Any]) -> SimUser:
        user_id = record["external_user_id"]
        user = self.users.get(user_id)
        if user is None:
            user = self.users[user_id] = SimUser(user_id, record.get("username") or user_id)
        user.merge(record)
        return user

    def interaction_of(self, record: dict[str, Any]) -> SimInteraction:
        """The interaction a record means, without adding it (or its user) to the world."""
        with self.lock:
            return self._build(record, str(record["user"]["external_user_id"]))

    def _interaction(self, record: dict[str, Any]) -> SimInteraction:
        return self._build(record, self._user(record["user"]).external_user_id)

    def _build(self, record: dict[str, Any], user_id: str) -> SimInteraction:
        kind = record["interaction_type"]
        post_id = record.get("external_post_id")
        occurred = parse_time(record.get("occurred_at"))
        identity = interaction_identity(record)
        return SimInteraction(
            kind=kind,
            user_id=user_id,
            key=identity,
            post_id=post_id,
            text=record.get("text"),
            parent_id=record.get("parent_external_id"),
            occurred_at=occurred or self._fallback_time(post_id, identity),
            exact_time=occurred is not None,
            seq=len(self.interactions),
        )

    def _fallback_time(self, post_id: str | None, identity: str) -> datetime:
        # The platform always has some time for the action; without one in the world, derive a
        # stable one shortly after the post so a second run sees the same value (never later
        # than now: a world may end today).
        post = self.posts.get(post_id or "")
        base = post.posted_at if post else EPOCH
        derived = base + timedelta(seconds=int.from_bytes(digest(identity, 3)) % 86_400)
        return min(derived, max(base, datetime.now(UTC)))

    def of_kind(self, *kinds: str, post_id: str | None = None) -> list[SimInteraction]:
        """Interactions of these kinds (on one post, or all), oldest first."""
        self._reindex()
        cached = self._sorted.get((kinds, post_id))
        if cached is not None:
            return cached
        found: list[SimInteraction] = []
        for kind in kinds:
            by_post = self._by_kind.get(kind, {})
            if post_id is None:
                for items in by_post.values():
                    found.extend(items)
            else:
                found.extend(by_post.get(post_id, []))
        found.sort(key=lambda i: (i.occurred_at, i.key))
        self._sorted[(kinds, post_id)] = found
        return found

    def _reindex(self) -> None:
        with self.lock:
            if self._indexed_version == self.version:
                return
            by_kind: dict[str, dict[str | None, list[SimInteraction]]] = {}
            for interaction in self.interactions.values():
                by_kind.setdefault(interaction.kind, {}).setdefault(interaction.post_id, []).append(
                    interaction
                )
            self._by_kind = by_kind
            self._sorted = {}
            self._indexed_version = self.version

    def posts_newest_first(self) -> list[SimPost]:
        return sorted(
            self.posts.values(), key=lambda p: (p.posted_at, p.external_post_id), reverse=True
        )

    def metric(self, post: SimPost, name: str, *kinds: str) -> int:
        """The platform-reported count: the world's metric when given, else the interactions."""
        if name in post.metrics:
            return post.metrics[name]
        return len(self.of_kind(*kinds, post_id=post.external_post_id))


def interaction_identity(record: dict[str, Any]) -> str:
    """The key an interaction record is stored under: its id, or what identifies it."""
    return str(
        record.get("external_id")
        or "|".join(
            [
                record["interaction_type"],
                record.get("external_post_id") or "",
                record["user"]["external_user_id"],
                record.get("occurred_at") or "",
            ]
        )
    )


def _post(record: dict[str, Any]) -> SimPost:
    content = record.get("content") or {}
    caption = record.get("caption") or content.get("title") or ""
    metrics = {k: v for k, v in (record.get("metrics") or {}).items() if isinstance(v, int)}
    return SimPost(
        external_post_id=record["external_post_id"],
        posted_at=parse_time(record.get("posted_at")) or EPOCH,
        caption=caption,
        # What the creator typed on this platform: the content item is fanlens' own idea.
        title=caption[:100] or content.get("title") or record["external_post_id"],
        url=record.get("url"),
        metrics=metrics,
    )
