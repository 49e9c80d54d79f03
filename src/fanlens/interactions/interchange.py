"""Interchange format v1: parse and validate one JSON line into a typed record or a reject.

Hand-written rather than a pydantic model because it runs once per line on multi-million-line
imports; the JSON Schema shipped beside it (interchange-v1.schema.json) states the same rules for
users, and the tests hold the two to each other.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fanlens.interactions.keys import dedup_key
from fanlens.kit.timeutil import parse_rfc3339

MAX_LINE_BYTES = 1_000_000
NAME = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")
# Ids, content keys and usernames are indexed: a btree entry holds at most 2,704 bytes, and 500
# characters of 4-byte UTF-8 fit with room for the rest of the key.
MAX_ID_CHARS = 500
# Counts far above any platform's, low enough that a content item's totals (sums of four counts
# over its posts, stored as bigint) cannot overflow.
MAX_COUNT = 10**15
# Integer ids are 64-bit on every platform.
MIN_INT_ID, MAX_INT_ID = -(2**63), 2**63 - 1
# Timestamps are accepted when the year as written lies here: PostgreSQL and Python both hold
# every such moment at any offset, and no social platform predates it.
FIRST_YEAR, LAST_YEAR = 1970, 2099
KNOWN_METRICS = ("views", "likes", "comments", "shares", "saves")
# The documented interaction types: a change naming its interaction by the platform's id alone
# (a stream's delete of a post, which says nothing of whether it was a reply or a quote) applies
# to whichever of these it is.
KNOWN_TYPES = (
    "comment", "reply", "quote", "mention", "like", "repost", "share", "save", "follow",
    "profile_visit", "link_click",
)  # fmt: skip
PROFILE_TEXT = ("username", "display_name", "profile_url", "avatar_url", "bio")


@dataclass(slots=True)
class PostRecord:
    line: int
    platform: str
    external_post_id: str
    content_key: str | None
    content_title: str | None
    url: str | None
    caption: str | None
    posted_at: datetime | None
    metrics: dict[str, int]


@dataclass(slots=True)
class FollowerRecord:
    line: int
    platform: str
    external_user_id: str
    username: str | None = None
    display_name: str | None = None
    profile_url: str | None = None
    avatar_url: str | None = None
    bio: str | None = None
    follower_count: int | None = None
    verified: bool | None = None


@dataclass(slots=True)
class InteractionRecord:
    line: int
    platform: str
    interaction_type: str
    user: FollowerRecord
    external_post_id: str | None
    external_id: str | None
    text: str | None
    parent_external_id: str | None
    occurred_at: datetime | None
    key: Any  # uuid.UUID, see fanlens.interactions.keys
    edited_at: datetime | None = None  # the text is an edit made then


@dataclass(slots=True)
class ChangeRecord:
    """The edit (new text at `edited_at`) or the delete of an interaction named by its identity
    alone: what a stream or webhook reports when the original is not in the event."""

    line: int
    platform: str
    external_id: str | None
    # (interaction type, dedup key) of each interaction it may name: one, or one per known type
    # when only the platform's id is given
    candidates: list[tuple[str, Any]]
    deleted: bool
    edited_at: datetime | None
    text: str | None
    raw: dict[str, Any]


@dataclass(slots=True)
class Reject:
    line: int
    reason: str
    message: str
    raw: str

    def __post_init__(self) -> None:
        # Lone surrogates (a JSON "\ud800") cannot be written as UTF-8 anywhere downstream.
        self.message = _encodable(self.message)
        self.raw = _encodable(self.raw)


Record = PostRecord | FollowerRecord | InteractionRecord | ChangeRecord


class Invalid(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def parse_line(raw: bytes, line: int) -> Record | Reject | None:
    """One line in, one record or reject out; blank lines give None."""
    if len(raw) > MAX_LINE_BYTES:
        return Reject(
            line,
            "line_too_long",
            f"line is {len(raw):,} bytes; the limit is {MAX_LINE_BYTES:,}",
            raw[:2000].decode("utf-8", "replace"),
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Reject(
            line,
            "bad_encoding",
            f"not UTF-8 ({exc.reason} at byte {exc.start})",
            raw.decode("utf-8", "replace"),
        )
    if not text.strip():
        return None
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        return Reject(
            line, "bad_json", f"not JSON: {exc.msg} at column {exc.colno}", text.rstrip("\r\n")
        )
    except ValueError as exc:  # an integer of more than 4,300 digits
        return Reject(line, "out_of_range", f"a number is too long: {exc}", text.rstrip("\r\n"))
    except RecursionError:
        return Reject(line, "bad_json", "JSON nested too deeply", text.rstrip("\r\n"))
    try:
        return parse_object(obj, line)
    except Invalid as exc:
        return Reject(line, exc.reason, exc.message, text.rstrip("\r\n"))


def parse_object(obj: Any, line: int) -> Record:
    if not isinstance(obj, dict):
        raise Invalid("wrong_type", "each line must be a JSON object")
    kind = obj.get("type")
    if kind == "interaction":
        if _is_change(obj):
            return parse_change(obj, line)
        return _interaction(obj, line)
    if kind == "follower":
        return _follower(obj, line)
    if kind == "post":
        return _post(obj, line)
    if kind is None:
        raise Invalid("missing_field", "field 'type' is required (post, follower or interaction)")
    raise Invalid("unknown_type", f"unknown type {kind!r}; expected post, follower or interaction")


def _post(obj: dict[str, Any], line: int) -> PostRecord:
    content = obj.get("content")
    if content is not None and not isinstance(content, dict):
        raise Invalid("wrong_type", 'field \'content\' must be an object like {"key", "title"}')
    content = content or {}
    return PostRecord(
        line=line,
        platform=_name(obj, "platform"),
        external_post_id=_id(obj, "external_post_id", required=True),  # type: ignore[arg-type]
        content_key=_text(content, "key", label="content.key", max_chars=MAX_ID_CHARS),
        content_title=_text(content, "title", label="content.title"),
        url=_text(obj, "url"),
        caption=_text(obj, "caption"),
        posted_at=_time(obj, "posted_at"),
        metrics=_metrics(obj.get("metrics")),
    )


def _follower(obj: dict[str, Any], line: int, where: str = "") -> FollowerRecord:
    record = FollowerRecord(
        line=line,
        platform=_name(obj, "platform"),
        external_user_id=_id(obj, "external_user_id", required=True, where=where),  # type: ignore[arg-type]
    )
    for name in PROFILE_TEXT:
        if obj.get(name) is not None:
            limit = MAX_ID_CHARS if name == "username" else None
            setattr(record, name, _text(obj, name, label=f"{where}{name}", max_chars=limit))
    record.follower_count = _count(obj, "follower_count", where)
    verified = obj.get("verified")
    if verified is not None and not isinstance(verified, bool):
        raise Invalid("wrong_type", f"field '{where}verified' must be true or false")
    record.verified = verified
    return record


def _is_change(obj: dict[str, Any]) -> bool:
    """A delete, or an edit that does not carry the interaction's user (so cannot store it)."""
    deleted = obj.get("deleted")
    return (deleted is not None and deleted is not False) or (
        obj.get("edited_at") is not None and obj.get("user") is None
    )


def parse_change(obj: Any, line: int) -> ChangeRecord:
    """An edit or delete of one interaction: `platform`, `interaction_type` and either
    `external_id` or the fields of a key without one (`user`, `external_post_id`,
    `occurred_at`), or `external_id` alone for any known type; then `"deleted": true`, or
    `edited_at` with the new `text`."""
    if not isinstance(obj, dict):
        raise Invalid("wrong_type", "each change must be a JSON object")
    if obj.get("type", "interaction") != "interaction":
        raise Invalid("unknown_type", "a change is an interaction record (type 'interaction')")
    platform = _name(obj, "platform")
    external_id = _id(obj, "external_id")
    kind = _name(obj, "interaction_type") if obj.get("interaction_type") is not None else None
    if kind is None and external_id is None:
        raise Invalid("missing_field", "a change needs 'interaction_type' or 'external_id'")
    user = _change_user(obj, line)
    _id(obj, "external_post_id"), _time(obj, "occurred_at")  # checked even where unused
    deleted = False if obj.get("deleted") is None else obj["deleted"]
    if not isinstance(deleted, bool):
        raise Invalid("wrong_type", "field 'deleted' must be true or false")
    edited_at = _time(obj, "edited_at")
    text = _text(obj, "text")
    if not deleted and (edited_at is None or text is None):
        raise Invalid(
            "missing_field",
            'a change needs "deleted": true, or "edited_at" with the new "text"',
        )
    return ChangeRecord(
        line=line,
        platform=platform,
        external_id=external_id,
        candidates=_candidates(obj, kind, external_id, user),
        deleted=deleted,
        edited_at=None if deleted else edited_at,
        text=None if deleted else text,
        raw=obj,
    )


def _candidates(
    obj: dict[str, Any], kind: str | None, external_id: str | None, user: FollowerRecord | None
) -> list[tuple[str, Any]]:
    """The (type, dedup key) pairs a change may name: its own type, else every known type."""
    if kind is not None:
        return [(kind, _change_key(obj, kind, external_id, user))]
    return [(t, _change_key({}, t, external_id, None)) for t in KNOWN_TYPES]


def _change_user(obj: dict[str, Any], line: int) -> FollowerRecord | None:
    user = obj.get("user")
    if user is None:
        return None
    if not isinstance(user, dict):
        raise Invalid("wrong_type", "field 'user' must be an object with external_user_id")
    return _follower({**user, "platform": obj["platform"]}, line, where="user.")


def _change_key(
    obj: dict[str, Any], kind: str, external_id: str | None, user: FollowerRecord | None
) -> Any:
    if user is None and external_id is None:
        raise Invalid(
            "missing_field",
            "a change needs 'external_id', or 'user' (with external_user_id) to name the "
            "interaction as it was stored",
        )
    return dedup_key(
        interaction_type=kind,
        external_id=external_id,
        external_post_id=_id(obj, "external_post_id"),
        external_user_id=user.external_user_id if user else "",
        occurred_at=_time(obj, "occurred_at"),
    )


def _interaction(obj: dict[str, Any], line: int) -> InteractionRecord:
    platform = _name(obj, "platform")
    kind = _name(obj, "interaction_type")
    user_obj = obj.get("user")
    if user_obj is None:
        raise Invalid("missing_field", "field 'user' is required (an object with external_user_id)")
    if not isinstance(user_obj, dict):
        raise Invalid("wrong_type", "field 'user' must be an object with external_user_id")
    user = _follower({**user_obj, "platform": platform}, line, where="user.")
    post_id = _id(obj, "external_post_id")
    external_id = _id(obj, "external_id")
    occurred_at = _time(obj, "occurred_at")
    return InteractionRecord(
        line=line,
        platform=platform,
        interaction_type=kind,
        user=user,
        external_post_id=post_id,
        external_id=external_id,
        text=_text(obj, "text"),
        parent_external_id=_id(obj, "parent_external_id"),
        occurred_at=occurred_at,
        key=dedup_key(
            interaction_type=kind,
            external_id=external_id,
            external_post_id=post_id,
            external_user_id=user.external_user_id,
            occurred_at=occurred_at,
        ),
        edited_at=_time(obj, "edited_at"),
    )


def _name(obj: dict[str, Any], field: str) -> str:
    value = obj.get(field)
    if value is None:
        raise Invalid("missing_field", f"field '{field}' is required")
    if not isinstance(value, str) or not NAME.match(value):
        raise Invalid(
            "wrong_type", f"field '{field}' must be a lowercase name like 'tiktok', got {value!r}"
        )
    return value


def _id(obj: dict[str, Any], field: str, *, required: bool = False, where: str = "") -> str | None:
    value = obj.get(field)
    if value is None or value == "":
        if required:
            raise Invalid("missing_field", f"field '{where}{field}' is required")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise Invalid("wrong_type", f"field '{where}{field}' must be a string (or integer) id")
    if isinstance(value, int):
        if not MIN_INT_ID <= value <= MAX_INT_ID:
            raise Invalid(
                "out_of_range", f"field '{where}{field}' is beyond a 64-bit integer: use a string"
            )
        return str(value)
    return _checked_text(value, f"{where}{field}", MAX_ID_CHARS)


def _text(
    obj: dict[str, Any], field: str, *, label: str | None = None, max_chars: int | None = None
) -> str | None:
    value = obj.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise Invalid("wrong_type", f"field '{label or field}' must be a string")
    return _checked_text(value, label or field, max_chars)


def _checked_text(value: str, label: str, max_chars: int | None) -> str:
    if "\x00" in value:
        raise Invalid(
            "nul_character", f"field '{label}' holds a NUL character (\\u0000): remove it"
        )
    if not value.isascii() and _encodable(value) is not value:
        raise Invalid(
            "bad_encoding", f"field '{label}' holds a lone surrogate (\\ud800-\\udfff): remove it"
        )
    if max_chars is not None and len(value) > max_chars:
        raise Invalid(
            "too_long", f"field '{label}' is {len(value):,} characters; at most {max_chars} fit"
        )
    return value


def _encodable(value: str) -> str:
    """The value itself when it is valid Unicode, else a copy with U+FFFD for each surrogate."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "replace").decode("utf-8")
    return value


def _count(obj: dict[str, Any], field: str, where: str = "") -> int | None:
    value = obj.get(field)
    if value is None:
        return None
    return _whole(value, f"field '{where}{field}'")


def _whole(value: Any, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise Invalid("wrong_type", f"{label} must be a whole number ≥ 0")
    if value > MAX_COUNT:
        raise Invalid("out_of_range", f"{label} is above 10^15, the largest count accepted")
    return value


def _time(obj: dict[str, Any], field: str, where: str = "") -> datetime | None:
    value = obj.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise Invalid("bad_timestamp", f"field '{where}{field}' must be an RFC 3339 string")
    year = value.strip()[:4]
    if year.isascii() and year.isdigit() and not FIRST_YEAR <= int(year) <= LAST_YEAR:
        raise Invalid(
            "bad_timestamp",
            f"field '{where}{field}' is {value[:40]!r}: "
            f"years {FIRST_YEAR} to {LAST_YEAR} are accepted",
        )
    try:
        return parse_rfc3339(value)
    except (ValueError, OverflowError) as exc:
        raise Invalid(
            "bad_timestamp",
            f"field '{where}{field}' is not an RFC 3339 timestamp ({value[:40]!r}): "
            "use e.g. 2026-11-02T14:05:00Z",
        ) from exc


def _metrics(value: Any) -> dict[str, int]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Invalid("wrong_type", "field 'metrics' must be an object of counts")
    for name, count in value.items():
        _checked_text(name, "metrics (a metric's name)", None)
        _whole(count, f"metric 'metrics.{name}'")
    return value


def as_interchange(record: Record) -> dict[str, Any]:
    """A parsed record written back as an interchange object (what a reject of it shows)."""
    if isinstance(record, ChangeRecord):
        return record.raw
    if isinstance(record, PostRecord):
        content = {"key": record.content_key, "title": record.content_title}
        return _present(
            type="post",
            platform=record.platform,
            external_post_id=record.external_post_id,
            content=_present(**content) or None,
            url=record.url,
            caption=record.caption,
            posted_at=record.posted_at,
            metrics=record.metrics or None,
        )
    if isinstance(record, FollowerRecord):
        return {"type": "follower", **_profile(record)}
    return _present(
        type="interaction",
        platform=record.platform,
        interaction_type=record.interaction_type,
        user={k: v for k, v in _profile(record.user).items() if k != "platform"},
        external_post_id=record.external_post_id,
        external_id=record.external_id,
        text=record.text,
        parent_external_id=record.parent_external_id,
        occurred_at=record.occurred_at,
        edited_at=record.edited_at,
    )


def _profile(record: FollowerRecord) -> dict[str, Any]:
    fields = {name: getattr(record, name) for name in PROFILE_TEXT}
    return _present(
        platform=record.platform,
        external_user_id=record.external_user_id,
        **fields,
        follower_count=record.follower_count,
        verified=record.verified,
    )


def _present(**fields: Any) -> dict[str, Any]:
    return {
        k: v.isoformat().replace("+00:00", "Z") if isinstance(v, datetime) else v
        for k, v in fields.items()
        if v is not None
    }
