"""The small contract every connector keeps.

A connector reads the streams of one account and yields pages of interchange records (see
fanlens.interactions.ingest) together with the stream state to save once the page is stored,
so a sync killed at any moment resumes from the last stored page. Streams declare their
incremental cursor as data. Errors say whether they are permanent (the account needs attention)
or transient (try again later), decided from the upstream error body, never its wording.
"""

from __future__ import annotations

import json
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from fanlens.kit.http import HttpClient, HttpOptions
from fanlens.kit.timeutil import parse_rfc3339

Record = dict[str, Any]
State = dict[str, Any]


@dataclass(frozen=True)
class Stream:
    """One kind of data a platform serves, and how a sync picks up where it stopped.

    `cursor_field` is the record field whose highest value is remembered; the next incremental
    read goes back to that value minus `lag`, because counts and replies keep arriving after a
    post goes out.
    """

    name: str
    primary_key: tuple[str, ...]
    cursor_field: str | None
    initial_value: Any = None
    lag: timedelta = timedelta(0)

    def since(self, state: State, *, full: bool) -> datetime | None:
        """The oldest time an incremental read needs; None means read everything."""
        value = state.get("cursor", self.initial_value)
        if full or value is None:
            return None
        return parse_rfc3339(value) - self.lag


@dataclass(frozen=True)
class Reject:
    """An upstream item that could not be turned into a record; the sync goes on without it."""

    stream: str
    raw: str
    error: str


@dataclass(frozen=True)
class RetiredMetric:
    """A metric the platform refused for a kind of media (retired, or never offered for it);
    recorded for the data-health page, while the sync goes on with the other metrics."""

    metric: str
    media_type: str
    message: str


@dataclass
class Page:
    """Records to store in one transaction, and the stream's state once they are stored."""

    records: list[Record]
    state: State
    rejects: list[Reject] = field(default_factory=list)
    retired_metrics: list[RetiredMetric] = field(default_factory=list)


class ConnectorError(Exception):
    """A failure of the upstream API. `permanent` ones stop the sync and flag the account."""

    def __init__(
        self,
        message: str,
        *,
        permanent: bool,
        reason: str,
        account_status: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.reason = reason
        self.account_status = account_status

    @classmethod
    def needs_reauth(cls, message: str, reason: str) -> ConnectorError:
        return cls(message, permanent=True, reason=reason, account_status="needs_reauth")

    @classmethod
    def gone(cls, message: str, reason: str) -> ConnectorError:
        return cls(message, permanent=True, reason=reason, account_status="gone")

    @classmethod
    def transient(cls, message: str, reason: str) -> ConnectorError:
        return cls(message, permanent=False, reason=reason)


@dataclass(frozen=True)
class AccountConfig:
    """What a connector needs to know about an account, credentials already decrypted."""

    id: uuid.UUID
    platform: str
    handle: str
    external_id: str
    settings: dict[str, Any]
    credentials: dict[str, Any] = field(repr=False)


@dataclass(frozen=True)
class Profile:
    """A platform user's current public profile (profile enrichment). None = not said."""

    external_user_id: str
    username: str | None = None
    display_name: str | None = None
    avatar_url: str | None = None
    bio: str | None = None
    follower_count: int | None = None
    verified: bool | None = None
    links: tuple[str, ...] = ()


class Connector(ABC):
    platform: ClassVar[str]
    streams: ClassVar[tuple[Stream, ...]]
    # How many users one profile lookup call serves; 0 = the platform offers none here.
    profiles_per_call: ClassVar[int] = 0
    # Cost units the platform allows a day (0: no daily quota); fanlens counts what it spends.
    daily_quota: ClassVar[int] = 0
    # Streams a faster poll of recent posts reads: the posts, then the engagement of the
    # posts published inside the window only (connectors.sync, `recent_since`).
    recent_streams: ClassVar[tuple[Stream, ...]] = ()

    def __init__(self, account: AccountConfig, http: HttpClient) -> None:
        self.account = account
        self.http = http
        # Where refreshed credentials go: the sync stores them at once (rotating refresh
        # tokens die when a new one is issued, so they must not wait for the sync's end).
        self.save_credentials: Callable[[dict[str, Any]], None] = lambda credentials: None

    @classmethod
    @abstractmethod
    def from_account(cls, account: AccountConfig, options: HttpOptions) -> Connector:
        """Build the connector and its HTTP client (base URL, auth, budget) for an account."""

    @abstractmethod
    def resolve(self) -> str | None:
        """Check that the account exists upstream (raising a ConnectorError if not) and
        return its display name."""

    @abstractmethod
    def read(
        self, stream: Stream, state: State, *, full: bool, posts: dict[str, Any]
    ) -> Iterator[Page]:
        """Yield pages of the stream, starting from `state` (empty on a first sync).

        `posts` is what the posts stream has seen (post id -> time and counts signature), so
        an engagement stream re-reads only the posts whose counts changed."""

    @classmethod
    def recent_hours(cls) -> int:
        """How recent a post must be for the faster poll (with `recent_streams`)."""
        return 0

    @classmethod
    def recent_quota_budget(cls) -> int | None:
        """The day's quota count up to which faster polls run (None: no daily quota)."""
        return None

    @staticmethod
    def quota_day(now: datetime) -> str:
        """The day a daily quota counts `now` in (ISO date; the platform's own day)."""
        return now.astimezone(UTC).date().isoformat()

    def fetch_profiles(self, external_user_ids: list[str]) -> list[Profile]:
        """Optional: the current profiles of these users (unknown ones are left out). Only
        called when `profiles_per_call` > 0, with at most that many ids."""
        raise NotImplementedError(f"{self.platform} offers no profile lookup")

    # Whether a reply repeated with the same idempotency key is published once (outreach).
    idempotent_replies: ClassVar[bool] = False

    def reply(self, *, parent_id: str, text: str, idempotency_key: str) -> str:
        """Optional: publish a public reply to a user's comment or post (outreach); returns the
        new item's id. Raises ConnectorError like a read."""
        raise NotImplementedError(f"{self.platform} offers no reply here")

    def close(self) -> None:
        self.http.close()


def convert(
    stream: Stream, items: list[Any], to_records: Callable[[Any], list[Record]]
) -> tuple[list[Record], list[Reject]]:
    """Map upstream items to records; one malformed item becomes a reject, not a failed sync."""
    records: list[Record] = []
    rejects: list[Reject] = []
    for item in items:
        try:
            records.extend(to_records(item))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            rejects.append(Reject(stream=stream.name, raw=_raw(item), error=_describe(exc)))
    return records, rejects


def _raw(item: Any) -> str:
    try:
        return json.dumps(item, ensure_ascii=False, default=str)[:10_000]
    except (TypeError, ValueError):
        return repr(item)[:10_000]


def _describe(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"
    return f"{type(exc).__name__}: {exc}"


def user(
    *,
    external_user_id: str,
    username: str | None = None,
    display_name: str | None = None,
    profile_url: str | None = None,
    avatar_url: str | None = None,
    **extra: Any,
) -> Record:
    """An interchange user object (the follower fields), leaving out what is unknown."""
    fields = {
        "external_user_id": require_text(external_user_id, "external_user_id"),
        "username": username,
        "display_name": display_name,
        "profile_url": profile_url,
        "avatar_url": avatar_url,
        **extra,
    }
    return {k: v for k, v in fields.items() if v is not None}


def interaction(
    platform: str,
    interaction_type: str,
    who: Record,
    *,
    external_post_id: str | None = None,
    external_id: str | None = None,
    text: str | None = None,
    parent_external_id: str | None = None,
    occurred_at: str | None = None,
) -> Record:
    """An interchange interaction. Without the action's own time, `occurred_at` is left out
    so ingest stores it as observed."""
    record: Record = {
        "type": "interaction",
        "platform": platform,
        "interaction_type": interaction_type,
        "user": who,
    }
    optional = {
        "external_post_id": external_post_id,
        "external_id": external_id,
        "text": text,
        "parent_external_id": parent_external_id,
        "occurred_at": checked_time(occurred_at) if occurred_at is not None else None,
    }
    record.update({k: v for k, v in optional.items() if v is not None})
    return record


def follower(platform: str, who: Record) -> Record:
    return {"type": "follower", "platform": platform, **who}


def require_text(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty string, got {value!r}")
    return value


def checked_time(value: Any) -> str:
    """An RFC 3339 time, checked here so a malformed one rejects its item, not the batch."""
    parse_rfc3339(require_text(value, "timestamp"))
    return str(value)


def later(a: str | None, b: str | None) -> str | None:
    """The later of two RFC 3339 times (either may be missing)."""
    if a is None or b is None:
        return a or b
    return a if parse_rfc3339(a) >= parse_rfc3339(b) else b
