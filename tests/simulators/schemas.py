"""Checks of simulator responses against the official schemas the packages ship."""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import googleapiclient
from pydantic import BaseModel


@cache
def youtube_schemas() -> dict[str, Any]:
    """The YouTube Data API v3 discovery document bundled with google-api-python-client."""
    path = Path(googleapiclient.__file__).parent / "discovery_cache/documents/youtube.v3.json"
    return dict(json.loads(path.read_text(encoding="utf-8"))["schemas"])


def check_youtube(value: Any, schema_name: str) -> None:
    _check(value, {"$ref": schema_name}, schema_name)


def _check(value: Any, schema: dict[str, Any], path: str) -> None:
    if "$ref" in schema:
        schema = youtube_schemas()[schema["$ref"]]
    kind = schema.get("type")
    if kind == "object":
        assert isinstance(value, dict), f"{path}: expected an object, got {value!r}"
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            assert key in properties or extra, f"{path}.{key}: not in the discovery schema"
            _check(item, properties.get(key) or extra, f"{path}.{key}")
        if "kind" in value and "default" in properties.get("kind", {}):
            assert value["kind"] == properties["kind"]["default"], f"{path}.kind"
    elif kind == "array":
        assert isinstance(value, list), f"{path}: expected an array"
        for i, item in enumerate(value):
            _check(item, schema["items"], f"{path}[{i}]")
    elif kind == "string":
        assert isinstance(value, str), f"{path}: expected a string, got {value!r}"
        if schema.get("format") in ("uint64", "int64"):
            assert value.isdigit(), f"{path}: expected a numeric string"
        if schema.get("format") == "date-time":
            datetime.fromisoformat(value.replace("Z", "+00:00"))
    elif kind == "integer":
        assert isinstance(value, int) and not isinstance(value, bool), f"{path}: not an integer"
    elif kind == "boolean":
        assert isinstance(value, bool), f"{path}: not a boolean"


def check_atproto(data: dict[str, Any], model: type[BaseModel]) -> BaseModel:
    """Parse into the atproto package's lexicon model; unknown fields fail too."""
    from atproto_client.models.utils import get_or_create

    parsed = get_or_create(data, model, strict_string_format=True)
    assert isinstance(parsed, BaseModel)
    _no_extra(parsed, model.__name__)
    return parsed


def _no_extra(value: Any, path: str) -> None:
    if isinstance(value, BaseModel):
        extra = {k: v for k, v in (value.model_extra or {}).items()}
        assert not extra, f"{path}: fields not in the lexicon: {sorted(extra)}"
        for name in type(value).model_fields:
            _no_extra(getattr(value, name), f"{path}.{name}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _no_extra(item, f"{path}[{i}]")


# Mastodon has no machine-readable schema; these are the entity fields in the platform notes.
MASTODON_ACCOUNT = {
    "id": str,
    "username": str,
    "acct": str,
    "display_name": str,
    "locked": bool,
    "bot": bool,
    "discoverable": bool,
    "group": bool,
    "created_at": str,
    "note": str,
    "url": str,
    "uri": str,
    "avatar": str,
    "avatar_static": str,
    "header": str,
    "header_static": str,
    "followers_count": int,
    "following_count": int,
    "statuses_count": int,
    "emojis": list,
    "fields": list,
}
MASTODON_STATUS = {
    "id": str,
    "created_at": str,
    "sensitive": bool,
    "spoiler_text": str,
    "visibility": str,
    "uri": str,
    "url": str,
    "replies_count": int,
    "reblogs_count": int,
    "favourites_count": int,
    "content": str,
    "account": dict,
    "media_attachments": list,
    "mentions": list,
    "tags": list,
    "emojis": list,
}
MASTODON_NOTIFICATION = {"id": str, "type": str, "created_at": str, "account": dict}


def check_mastodon(value: dict[str, Any], fields: dict[str, type]) -> None:
    for name, kind in fields.items():
        assert isinstance(value.get(name), kind), f"{name}: expected {kind.__name__}"
    for name in ("created_at",):
        if name in value:
            datetime.fromisoformat(value[name].replace("Z", "+00:00"))
    if "account" in value:
        check_mastodon(value["account"], MASTODON_ACCOUNT)
    if value.get("status"):
        check_mastodon(value["status"], MASTODON_STATUS)
    if "in_reply_to_id" in value:
        assert value["in_reply_to_id"] is None or isinstance(value["in_reply_to_id"], str)
