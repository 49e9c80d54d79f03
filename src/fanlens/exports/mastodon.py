"""Mastodon: the account archive's outbox.json (own posts) and a followers CSV.

Post ids are the status ids the Mastodon connector uses, so an archive and a sync meet on the
same posts. The archive has no counts. Mastodon's own data export has no followers CSV (only
accounts you follow); a followers CSV as some clients write it (`Account address` column, or one
`user@domain` per line) is read, without follow times.
"""

from __future__ import annotations

import csv
import html
import io
import re
from typing import Any

from fanlens.exports.base import BadItem, ExportFiles, LayoutError, Record, Section, follow

PLATFORM = "mastodon"
TAG = re.compile(r"<[^>]+>")
FOLLOWERS_CSV = re.compile(r"^followers.*\.csv$", re.IGNORECASE)


class MastodonExport:
    platform = PLATFORM

    def sections(self, export: ExportFiles) -> list[Section]:
        outbox = export.find_one("outbox.json")
        followers = export.find(FOLLOWERS_CSV)
        if outbox is None and not followers:
            raise LayoutError(
                export.name,
                "outbox.json (a Mastodon archive) or followers….csv ('Account address')",
            )
        sections = []
        if outbox is not None:
            sections.append(
                Section(outbox, _outbox_items(export, outbox), activity_record, "posts")
            )
        for name in followers:
            sections.append(Section(name, _csv_rows(export, name), follower_record, "followers"))
        return sections


def _outbox_items(export: ExportFiles, name: str) -> list[Any]:
    data = export.read_json(name)
    items = data.get("orderedItems") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise LayoutError(name, "an ActivityStreams OrderedCollection with 'orderedItems'")
    return items


def _csv_rows(export: ExportFiles, name: str) -> list[Any]:
    rows = [r for r in csv.reader(io.StringIO(export.read_text(name))) if r and r[0].strip()]
    if rows and rows[0][0].strip().lower() == "account address":
        return rows[1:]
    if rows and "@" not in rows[0][0]:
        raise LayoutError(name, "a first column 'Account address' of user@domain addresses")
    return rows


def activity_record(item: Any) -> Record | None:
    if not isinstance(item, dict):
        raise BadItem("an activity must be an object with 'type'")
    if item.get("type") != "Create":
        return None  # boosts (Announce) are someone else's posts
    note = item.get("object")
    if not isinstance(note, dict):
        raise BadItem("field 'object' of a Create must be the post object")
    uri = note.get("id")
    if not isinstance(uri, str) or not uri:
        raise BadItem("field 'object.id' is missing", "missing_field")
    return {
        "type": "post",
        "platform": PLATFORM,
        "external_post_id": status_id(uri),
        "url": note.get("url") if isinstance(note.get("url"), str) else None,
        "caption": html_text(note.get("content")),
        "posted_at": note.get("published") or item.get("published"),
    }


def follower_record(row: Any) -> Record:
    address = str(row[0]).strip().lstrip("@")
    user_part, _, domain = address.partition("@")
    if not user_part or not domain:
        raise BadItem(f"'{address}' is not an account address like alice@example.social")
    user = {
        "external_user_id": address,
        "username": address,
        "profile_url": f"https://{domain}/@{user_part}",
    }
    return follow(PLATFORM, user, None)  # the CSV has no follow dates


def status_id(uri: str) -> str:
    """https://host/users/me/statuses/1100 → 1100, the id the API (and the connector) uses."""
    head, _, tail = uri.rstrip("/").rpartition("/statuses/")
    return tail if head and tail.isdigit() else uri


def html_text(content: Any) -> str | None:
    if not isinstance(content, str) or not content:
        return None
    return html.unescape(TAG.sub("", content.replace("<br>", "\n").replace("</p><p>", "\n\n")))
