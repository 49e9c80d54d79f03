"""Instagram "Download your information" (JSON format): followers with follow time, own posts.

The export has no user ids, post ids or counts: followers are keyed by username and posts by
their creation time (stable across exports of the same account).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any

from fanlens.exports.base import BadItem, ExportFiles, LayoutError, Record, Section, follow

PLATFORM = "instagram"
FOLLOWERS = re.compile(r"^followers(_\d+)?\.json$")
POSTS = re.compile(r"^posts_\d+\.json$")
FOLLOWERS_HTML = re.compile(r"^followers.*\.html$")


class InstagramExport:
    platform = PLATFORM

    def sections(self, export: ExportFiles) -> list[Section]:
        followers = [
            n
            for n in export.find(FOLLOWERS)
            if PurePosixPath(n).parent.name == "followers_and_following"
        ]
        posts = export.find(POSTS)
        if not followers and not posts:
            raise LayoutError(export.name, _missing_message(export))
        return [
            *(
                Section(n, _follower_items(export, n), follower_record, "followers")
                for n in followers
            ),
            *(Section(n, _post_items(export, n), post_record, "posts") for n in posts),
        ]


def _missing_message(export: ExportFiles) -> str:
    if export.find(FOLLOWERS_HTML):
        return "the JSON format, but this export is HTML: request it again with format JSON"
    return (
        "connections/followers_and_following/followers_1.json or "
        "your_instagram_activity/…/posts_1.json (Instagram 'Download your information', JSON)"
    )


def _follower_items(export: ExportFiles, name: str) -> list[Any]:
    data = export.read_json(name)
    if isinstance(data, dict) and isinstance(data.get("relationships_followers"), list):
        return list(data["relationships_followers"])  # older exports wrap the list
    if not isinstance(data, list):
        raise LayoutError(name, "a JSON array of followers (or 'relationships_followers')")
    return data


def _post_items(export: ExportFiles, name: str) -> list[Any]:
    data = export.read_json(name)
    if not isinstance(data, list):
        raise LayoutError(name, "a JSON array of posts, each with 'media'")
    return data


def follower_record(item: Any) -> Record:
    entries = item.get("string_list_data") if isinstance(item, dict) else None
    if not isinstance(entries, list) or not entries or not isinstance(entries[0], dict):
        raise BadItem("field 'string_list_data' is missing or empty", "missing_field")
    entry = entries[0]
    href = entry.get("href")
    username = entry.get("value") or item.get("title") or _name_from_href(href)
    if not username:
        raise BadItem("no username: 'string_list_data[0].value', 'title' and 'href' are empty")
    username = fix_text(str(username))
    when = entry.get("timestamp")
    user = {"external_user_id": username, "username": username, "profile_url": href}
    return follow(
        PLATFORM, user, unix_time(when, "string_list_data[0].timestamp") if when else None
    )


def post_record(item: Any) -> Record:
    if not isinstance(item, dict):
        raise BadItem("a post must be an object with 'media'")
    media = item.get("media") if isinstance(item.get("media"), list) else []
    first = media[0] if media and isinstance(media[0], dict) else {}
    when = item.get("creation_timestamp") or first.get("creation_timestamp")
    if not when:
        raise BadItem(
            "field 'creation_timestamp' is missing (on the post and its first media)",
            "missing_field",
        )
    title = item.get("title") or first.get("title")
    posted_at = unix_time(when, "creation_timestamp")
    return {
        "type": "post",
        "platform": PLATFORM,
        # No post id in the export: the creation second identifies a creator's post.
        "external_post_id": f"export-{int(when)}",
        "caption": fix_text(title) if isinstance(title, str) and title else None,
        "posted_at": posted_at,
    }


def _name_from_href(href: Any) -> str | None:
    if not isinstance(href, str):
        return None
    return href.rstrip("/").rsplit("/", 1)[-1] or None


def unix_time(value: Any, field: str) -> str:
    try:
        moment = datetime.fromtimestamp(int(value), UTC)
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise BadItem(f"field '{field}' is not a Unix time: {value!r}", "bad_timestamp") from exc
    return moment.isoformat().replace("+00:00", "Z")


def fix_text(text: str) -> str:
    """Instagram writes UTF-8 bytes as \\u00XX code points; undo that when it is what happened."""
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text  # already real text (or not this mojibake): keep as given
