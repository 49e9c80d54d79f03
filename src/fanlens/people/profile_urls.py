"""Profile links reduced to one key per account, however they are spelled.

Link evidence compares the profile URLs named in bios and profile links with the identities'
stored profile URLs, so both sides go through `profile_key`: the scheme, host case, `www.`/`m.`
prefixes, trailing slashes, query strings and fragments (tracking parameters included) never
change the key, and each platform's alternative hosts and paths give the account's one key.

Nothing is fetched: short links (`vm.tiktok.com`, `vt.tiktok.com`) and video links (`youtu.be`)
name no profile without asking the platform, so they give no key.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple
from urllib.parse import unquote


class ProfileKey(NamedTuple):
    """(namespace, account): a platform name for the platforms fanlens knows, else "web"."""

    platform: str
    account: str


# URLs in free text, with or without a scheme; a scheme-less one needs a path to be a profile.
_URL = re.compile(
    r"(?:https?://[^\s<>\"']+|(?<![\w@./-])(?:[a-z0-9-]+\.)+[a-z]{2,}/[^\s<>\"']*)", re.IGNORECASE
)
# A Mastodon address written as a handle: @user@instance.
_FEDI_HANDLE = re.compile(r"(?<![\w@])@([a-z0-9_]+)@((?:[a-z0-9-]+\.)+[a-z]{2,})", re.IGNORECASE)
# Scheme (optional), host, path; the query string and fragment never name the account.
_SPLIT = re.compile(r"(?:https?:)?(?://)?([^/?#\s]*)([^?#\s]*)", re.IGNORECASE)
_TRAILING = "/.,;:!?)]}>'\""
_HOST_PREFIXES = ("www.", "m.", "mobile.")
_NO_PROFILE_HOSTS = {"youtu.be", "vm.tiktok.com", "vt.tiktok.com"}
_YOUTUBE_HOSTS = {"youtube.com", "music.youtube.com"}
_YOUTUBE_NAMED = {"c", "user"}  # legacy custom and user names; YouTube maps them to the handle
_YOUTUBE_TABS = {"featured", "videos", "shorts", "streams", "playlists", "community", "about"}
_PLATFORM_HOSTS = {
    *_YOUTUBE_HOSTS,
    "bsky.app",
    "tiktok.com",
    "instagram.com",
    "instagr.am",
    "x.com",
    "twitter.com",
}
_INSTAGRAM_RESERVED = {"p", "reel", "reels", "tv", "stories", "explore", "accounts", "direct"}
_X_RESERVED = {"home", "i", "intent", "search", "hashtag", "share", "explore", "settings"}


def profile_key(url: str) -> ProfileKey | None:
    """The account a profile URL names, or None when it names none that can be known offline."""
    parts = _SPLIT.match(url.strip().rstrip(_TRAILING))
    if parts is None:
        return None
    netloc, path = parts.groups()
    host = netloc.rpartition("@")[2].partition(":")[0].lower().rstrip(".")
    for prefix in _HOST_PREFIXES:
        host = host.removeprefix(prefix)
    if not host or host.startswith("[") or host in _NO_PROFILE_HOSTS:
        return None  # bracketed hosts are addresses, not anyone's profile
    segments = [unquote(s) if "%" in s else s for s in path.split("/") if s]
    if host in _PLATFORM_HOSTS:
        return _platform_key(host, segments)
    if segments and (segments[0].startswith("@") or segments[0] == "users"):
        return _mastodon(host, segments)  # a Mastodon-style path: a post under it is no profile
    return _web_key(host, segments)


def _platform_key(host: str, segments: list[str]) -> ProfileKey | None:
    if host in _YOUTUBE_HOSTS:
        return _youtube(segments)
    if host == "bsky.app":
        if len(segments) == 2 and segments[0] == "profile":
            return ProfileKey("bluesky", segments[1].lower())
        return None
    if host == "tiktok.com":
        if len(segments) == 1 and segments[0].startswith("@"):
            return ProfileKey("tiktok", segments[0][1:].lower())
        return None
    if host in ("instagram.com", "instagr.am"):
        if len(segments) == 1 and segments[0].lower() not in _INSTAGRAM_RESERVED:
            return ProfileKey("instagram", segments[0].lower())
        return None
    # x.com and twitter.com are the rest of _PLATFORM_HOSTS
    if len(segments) == 1 and segments[0].lower() not in _X_RESERVED:
        return ProfileKey("x", segments[0].lstrip("@").lower())
    return None


def _youtube(segments: list[str]) -> ProfileKey | None:
    if segments and segments[-1].lower() in _YOUTUBE_TABS:
        segments = segments[:-1]
    if len(segments) == 2 and segments[0] == "channel":
        return ProfileKey("youtube", "channel/" + segments[1])  # channel ids are case-sensitive
    if len(segments) == 2 and segments[0] in _YOUTUBE_NAMED:
        return ProfileKey("youtube", segments[1].lower())
    if len(segments) == 1 and segments[0].startswith("@"):
        return ProfileKey("youtube", segments[0][1:].lower())
    return None


def _mastodon(host: str, segments: list[str]) -> ProfileKey | None:
    """`https://instance/@user` and `https://instance/users/user` are the same account; a remote
    account shown on another instance (`/@user@home`) is the account at home."""
    if len(segments) == 2 and segments[0] == "users":
        user = segments[1]
    elif len(segments) == 1 and segments[0].startswith("@"):
        user = segments[0][1:]
    else:
        return None
    name, _, home = user.partition("@")
    return ProfileKey("mastodon", f"{name}@{home or host}".lower()) if name else None


def _web_key(host: str, segments: list[str]) -> ProfileKey | None:
    if not segments:
        return None  # a bare site names no account
    return ProfileKey("web", (host + "/" + "/".join(segments)).lower())


def mastodon_handle_key(user: str, instance: str) -> ProfileKey:
    return ProfileKey("mastodon", f"{user}@{instance}".lower())


def keys_in_text(text: str) -> Iterator[tuple[str, ProfileKey]]:
    """(as written, key) for each profile link or `@user@instance` address in free text."""
    for match in _URL.finditer(text):
        key = profile_key(match.group(0))
        if key is not None:
            yield match.group(0).rstrip(_TRAILING), key
    for match in _FEDI_HANDLE.finditer(text):
        yield match.group(0), mastodon_handle_key(match.group(1), match.group(2))


def identity_keys(
    *, platform: str, profile_url: str | None, username: str | None, external_user_id: str
) -> set[ProfileKey]:
    """Every key that names this identity: its profile URL's, and what its platform's URLs
    would say from the handle or id (a bio may link a Bluesky DID or a YouTube channel id)."""
    keys: set[ProfileKey] = set()
    if profile_url:
        key = profile_key(profile_url)
        if key is not None:
            keys.add(key)
    handle = (username or "").strip().lstrip("@").lower()
    if platform in ("instagram", "tiktok", "x", "youtube") and handle and "/" not in handle:
        keys.add(ProfileKey(platform, handle))
    if platform == "bluesky":
        if handle:
            keys.add(ProfileKey("bluesky", handle))
        if external_user_id.startswith("did:"):
            keys.add(ProfileKey("bluesky", external_user_id.lower()))
    if platform == "youtube" and external_user_id.startswith("UC"):
        keys.add(ProfileKey("youtube", "channel/" + external_user_id))
    return keys
