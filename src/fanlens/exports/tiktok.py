"""TikTok "Download your data" (JSON): followers with follow dates, own videos with likes.

Sections are found by trying every known path: TikTok regroups them between export versions.
The export has no user ids or video ids: fans are keyed by username and videos by their date.
"""

from __future__ import annotations

import re
from typing import Any

from fanlens.exports.base import (
    BadItem,
    ExportFiles,
    LayoutError,
    Record,
    Section,
    count,
    dig,
    follow,
)

PLATFORM = "tiktok"
FANS_PATHS = (("Your Activity", "Follower", "FansList"), ("Activity", "Follower List", "FansList"))
VIDEO_PATHS = (("Post", "Posts", "VideoList"), ("Video", "Videos", "VideoList"))
DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})$")


class TikTokExport:
    platform = PLATFORM

    def sections(self, export: ExportFiles) -> list[Section]:
        name = export.find_one("user_data_tiktok.json", "user_data.json")
        if name is None:
            raise LayoutError(export.name, "user_data_tiktok.json (or the older user_data.json)")
        data = export.read_json(name)
        if not isinstance(data, dict):
            raise LayoutError(name, "a JSON object of sections ('Your Activity', 'Post', …)")
        fans = _first_list(data, FANS_PATHS, name)
        videos = _first_list(data, VIDEO_PATHS, name)
        if fans is None and videos is None:
            raise LayoutError(
                name,
                "'Your Activity' → 'Follower' → 'FansList' or 'Post' → 'Posts' → 'VideoList' "
                "(older: 'Activity' → 'Follower List' → 'FansList', 'Video' → 'Videos' → "
                "'VideoList')",
            )
        return [
            Section(name, fans or [], fan_record, "followers"),
            Section(name, videos or [], video_record, "posts"),
        ]


def _first_list(data: dict[str, Any], paths: tuple[tuple[str, ...], ...], name: str) -> Any:
    for path in paths:
        found = dig(data, *path)
        if found is None and isinstance(dig(data, *path[:-1]), dict):
            return []  # the section is there, with no entries (TikTok writes null)
        if found is not None:
            if not isinstance(found, list):
                raise LayoutError(name, f"'{' → '.join(path)}' to be a list")
            return found
    return None


def fan_record(item: Any) -> Record:
    if not isinstance(item, dict):
        raise BadItem("a fan must be an object with 'UserName' and 'Date'")
    username = item.get("UserName")
    if not username:
        raise BadItem("field 'UserName' is missing", "missing_field")
    when = item.get("Date")
    user = {"external_user_id": str(username), "username": str(username)}
    return follow(PLATFORM, user, export_time(when, "Date") if when else None)


def video_record(item: Any) -> Record:
    if not isinstance(item, dict):
        raise BadItem("a video must be an object with 'Date'")
    when = item.get("Date")
    if not when:
        raise BadItem("field 'Date' is missing", "missing_field")
    posted_at = export_time(when, "Date")
    likes = count(item.get("Likes"), "Likes")
    caption = item.get("Title") or item.get("Desc")
    return {
        "type": "post",
        "platform": PLATFORM,
        # No video id in the export: the posting second identifies a creator's video.
        "external_post_id": f"export-{posted_at}",
        "caption": caption if isinstance(caption, str) and caption else None,
        "posted_at": posted_at,
        "metrics": {} if likes is None else {"likes": likes},
    }


def export_time(value: Any, field: str) -> str:
    """TikTok dates are "2024-03-01 10:00:00" in UTC, without a zone."""
    match = DATE.match(str(value).strip())
    if not match:
        raise BadItem(
            f"field '{field}' is not a date like 2024-03-01 10:00:00: {value!r}", "bad_timestamp"
        )
    return f"{match.group(1)}T{match.group(2)}Z"
