"""X (Twitter) archive: own posts (replies included) from data/tweets.js, followers from
data/follower.js. The files are JavaScript: `window.YTD.tweets.part0 = [ … ]`."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
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

PLATFORM = "x"
TWEETS = re.compile(r"^tweets?(-part\d+)?\.js$")  # tweet.js in old archives
FOLLOWERS = re.compile(r"^follower(-part\d+)?\.js$")
WRAPPER = re.compile(r"^\s*window\.YTD\.[A-Za-z_]+\.part\d+\s*=\s*$")


class XArchive:
    platform = PLATFORM

    def sections(self, export: ExportFiles) -> list[Section]:
        tweets = export.find(TWEETS)
        if not tweets:
            raise LayoutError(export.name, "data/tweets.js (an X archive)")
        username = _username(export)
        sections = [
            Section(n, read_ytd(export, n), lambda t: tweet_record(t, username), "posts")
            for n in tweets
        ]
        sections += [
            Section(n, read_ytd(export, n), follower_record, "followers")
            for n in export.find(FOLLOWERS)
        ]
        return sections


def read_ytd(export: ExportFiles, name: str) -> list[Any]:
    """The JSON array after `window.YTD.<kind>.partN =`."""
    text = export.read_text(name)
    start = text.find("[")
    if start < 0 or not WRAPPER.match(text[:start]):
        raise LayoutError(name, "'window.YTD.tweets.part0 = [' followed by a JSON array")
    try:
        data = json.loads(text[start:].rstrip().rstrip(";"))
    except json.JSONDecodeError as exc:
        raise LayoutError(
            name, f"a JSON array after the '=' (line {exc.lineno}: {exc.msg})"
        ) from exc
    if not isinstance(data, list):
        raise LayoutError(name, "a JSON array after the '='")
    return data


def _username(export: ExportFiles) -> str | None:
    name = export.find_one("account.js")
    if name is None:
        return None
    try:
        accounts = read_ytd(export, name)
    except LayoutError:
        return None  # only used for post URLs; the posts import without it
    found = dig(accounts[0] if accounts else None, "account", "username")
    return found if isinstance(found, str) else None


def tweet_record(item: Any, username: str | None) -> Record | None:
    tweet = item.get("tweet", item) if isinstance(item, dict) else None
    if not isinstance(tweet, dict):
        raise BadItem("an item must be an object (with 'tweet')")
    tweet_id = tweet.get("id_str") or tweet.get("id")
    if not tweet_id:
        raise BadItem("field 'tweet.id_str' is missing", "missing_field")
    text = tweet.get("full_text") or tweet.get("text") or ""
    if text.startswith("RT @"):
        return None  # a retweet is someone else's post; its counts are not the creator's
    who = username or "i"
    return {
        "type": "post",
        "platform": PLATFORM,
        "external_post_id": str(tweet_id),
        "url": f"https://x.com/{who}/status/{tweet_id}",
        "caption": text or None,
        "posted_at": x_time(tweet.get("created_at")),
        "metrics": {
            k: v
            for k, v in (
                ("likes", count(tweet.get("favorite_count"), "tweet.favorite_count")),
                ("shares", count(tweet.get("retweet_count"), "tweet.retweet_count")),
            )
            if v is not None
        },
    }


def follower_record(item: Any) -> Record:
    account_id = dig(item, "follower", "accountId")
    if not account_id:
        raise BadItem("field 'follower.accountId' is missing", "missing_field")
    user = {"external_user_id": str(account_id), "profile_url": dig(item, "follower", "userLink")}
    # The archive gives no follow dates: stored with the time fanlens first saw the follow.
    return follow(PLATFORM, user, None)


def x_time(value: Any) -> str:
    """'Wed Oct 10 20:19:24 +0000 2018' → RFC 3339."""
    try:
        moment = datetime.strptime(str(value), "%a %b %d %H:%M:%S %z %Y")
    except ValueError as exc:
        example = "Wed Oct 10 20:19:24 +0000 2018"
        raise BadItem(
            f"field 'tweet.created_at' is not a date like '{example}': {value!r}", "bad_timestamp"
        ) from exc
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
