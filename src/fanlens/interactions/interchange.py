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
KNOWN_METRICS = ("views", "likes", "comments", "shares", "saves")
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


@dataclass(slots=True)
class Reject:
    line: int
    reason: str
    message: str
    raw: str


Record = PostRecord | FollowerRecord | InteractionRecord


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
    try:
        return parse_object(obj, line)
    except Invalid as exc:
        return Reject(line, exc.reason, exc.message, text.rstrip("\r\n"))


def parse_object(obj: Any, line: int) -> Record:
    if not isinstance(obj, dict):
        raise Invalid("wrong_type", "each line must be a JSON object")
    kind = obj.get("type")
    if kind == "interaction":
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
        content_key=_text(content, "key", label="content.key"),
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
            setattr(record, name, _text(obj, name, label=f"{where}{name}"))
    record.follower_count = _count(obj, "follower_count", where)
    verified = obj.get("verified")
    if verified is not None and not isinstance(verified, bool):
        raise Invalid("wrong_type", f"field '{where}verified' must be true or false")
    record.verified = verified
    return record


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
    return str(value)


def _text(obj: dict[str, Any], field: str, *, label: str | None = None) -> str | None:
    value = obj.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise Invalid("wrong_type", f"field '{label or field}' must be a string")
    return value.replace("\x00", "")  # PostgreSQL text cannot hold NUL


def _count(obj: dict[str, Any], field: str, where: str = "") -> int | None:
    value = obj.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise Invalid("wrong_type", f"field '{where}{field}' must be a whole number ≥ 0")
    return value


def _time(obj: dict[str, Any], field: str) -> datetime | None:
    value = obj.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise Invalid("bad_timestamp", f"field '{field}' must be an RFC 3339 string")
    try:
        return parse_rfc3339(value)
    except ValueError as exc:
        raise Invalid(
            "bad_timestamp",
            f"field '{field}' is not an RFC 3339 timestamp ({value!r}): "
            "use e.g. 2026-11-02T14:05:00Z",
        ) from exc


def _metrics(value: Any) -> dict[str, int]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Invalid("wrong_type", "field 'metrics' must be an object of counts")
    for name, count in value.items():
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise Invalid("wrong_type", f"metric 'metrics.{name}' must be a whole number ≥ 0")
    return value
