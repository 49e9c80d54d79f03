"""How world ids become platform ids: stable, so a second run sees the same items.

A world's ids are free-form strings (``yo-000001``, ``blu0000003``). YouTube ids are opaque strings,
so they are used verbatim. Bluesky needs DIDs and at-URIs, Mastodon numeric string ids ordered by
time (snowflakes), so those are derived here; tests map a world's expectations through these.
"""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import datetime

YOUTUBE_CREATOR_CHANNEL_ID = "UCfanlensCreatorChannel0"
YOUTUBE_CREATOR_HANDLE = "@fanlenscreator"
BLUESKY_CREATOR_DID = "did:plc:fanlenscreator"
BLUESKY_CREATOR_HANDLE = "creator.bsky.social"
MASTODON_CREATOR_ID = "109000000000000001"
MASTODON_CREATOR_USERNAME = "creator"


def digest(text: str, size: int = 8) -> bytes:
    return hashlib.blake2b(text.encode(), digest_size=size).digest()


def youtube_uploads_playlist(channel_id: str) -> str:
    return "UU" + channel_id[2:] if channel_id.startswith("UC") else "UU" + channel_id


def bluesky_did(external_user_id: str) -> str:
    if external_user_id.startswith("did:"):
        return external_user_id
    return "did:plc:" + re.sub(r"[^a-z0-9]", "", external_user_id.lower())


def bluesky_rkey(external_id: str) -> str:
    if external_id.startswith("at://"):
        return external_id.rsplit("/", 1)[-1]
    return re.sub(r"[^A-Za-z0-9._:~-]", "-", external_id)


def bluesky_post_uri(author_did: str, external_id: str) -> str:
    if external_id.startswith("at://"):
        return external_id
    return f"at://{author_did}/app.bsky.feed.post/{bluesky_rkey(external_id)}"


def bluesky_cid(key: str) -> str:
    """A CIDv1 (dag-cbor, sha-256) shaped string: 'bafyrei' + base32 of a hash."""
    raw = hashlib.sha256(key.encode()).digest()
    return "bafyrei" + base64.b32encode(raw).decode().lower().rstrip("=")[:52]


def mastodon_account_id(external_user_id: str) -> str:
    if external_user_id.isdigit():
        return external_user_id
    return str(10**17 + int.from_bytes(digest(external_user_id, 7)) % (8 * 10**17))


def mastodon_snowflake(moment: datetime, key: str) -> str:
    """Mastodon ids: milliseconds since the epoch in the high bits, so ids sort by time."""
    millis = int(moment.timestamp() * 1000)
    return str((millis << 16) | int.from_bytes(digest(key, 2)))


def mastodon_status_id(external_id: str, moment: datetime) -> str:
    return external_id if external_id.isdigit() else mastodon_snowflake(moment, external_id)


def safe_username(username: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", username) or "user"


def bluesky_handle_label(username: str) -> str:
    label = re.sub(r"[^a-z0-9-]", "-", username.lower()).strip("-")
    return label[:63] or "user"


INSTAGRAM_CREATOR_ID = "17841400000000001"
INSTAGRAM_CREATOR_USERNAME = "fanlens.creator"
TIKTOK_CREATOR_OPEN_ID = "-000fanlenscreatoropenid"
TIKTOK_CREATOR_USERNAME = "fanlenscreator"


def _numeric(text: str, prefix: str, digits: int) -> str:
    """A numeric string id of the platform's length, stable for a world id."""
    if text.isdigit():
        return text
    return prefix + str(int.from_bytes(digest(text, 8)) % 10**digits).zfill(digits)


def instagram_user_id(external_user_id: str) -> str:
    """Instagram-scoped user ids are numeric strings starting 1784…."""
    return _numeric(external_user_id, "1784", 13)


def instagram_media_id(external_post_id: str) -> str:
    return _numeric(external_post_id, "179", 14)


def instagram_comment_id(external_id: str) -> str:
    return _numeric(external_id, "178", 14)


def tiktok_video_id(external_post_id: str) -> str:
    """TikTok item ids are 19-digit numeric strings."""
    return _numeric(external_post_id, "73", 17)


def tiktok_comment_id(external_id: str) -> str:
    return _numeric(external_id, "74", 17)


def tiktok_user_id(external_user_id: str) -> str:
    """The Business API's `user_id` / `unique_identifier`: an opaque hex string per account."""
    return digest("tiktok:" + external_user_id, 16).hex()
