"""YouTube Data API v3: uploads → videos (statistics) → comment threads → replies.

Likes are anonymous on YouTube (counts only) and subscribers are not public, so the
interactions collected are comments and replies, each with its own `publishedAt`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from fanlens.config import settings
from fanlens.connectors import base, paging
from fanlens.kit.http import (
    HttpClient,
    HttpOptions,
    QuotaLimitReached,
    RetriesExhausted,
    budget_for,
)
from fanlens.kit.timeutil import parse_rfc3339, to_rfc3339, utcnow

PLATFORM = "youtube"
POSTS = base.Stream("posts", ("external_post_id",), "posted_at", None, timedelta(days=7))
COMMENTS = base.Stream("comments", ("external_id",), None)
# New threads anywhere on the channel (old videos too), newest first: incremental runs only.
CHANNEL_COMMENTS = base.Stream(
    "channel_comments", ("external_id",), "published_at", None, timedelta(days=2)
)
# Quota units per call (https://developers.google.com/youtube/v3/determine_quota_cost), out of
# DAILY_QUOTA a Google Cloud project gets a day, reset at midnight Pacific time.
DAILY_QUOTA = 10_000
PACIFIC = ZoneInfo("America/Los_Angeles")
COST = {"channels": 1, "playlistItems": 1, "videos": 1, "commentThreads": 1, "comments": 1}
# Credential problems: the key or token is bad whatever we ask. ("required"/"forbidden" only
# mean credentials when the status says so; a 400 "required" is a missing parameter.)
REAUTH_REASONS = {"authError", "keyInvalid", "API_KEY_INVALID", "accessNotConfigured"}
REAUTH_IF_UNAUTHORIZED = {"required", "forbidden", "badRequest"}
GONE_REASONS = {"channelNotFound", "playlistNotFound", "channelClosed", "channelSuspended"}
SKIP_VIDEO_REASONS = {"videoNotFound", "commentsDisabled"}
QUOTA_BUDGET = "quota_budget"  # the reason of a poll stopped at its budget
PROFILES_PER_CALL = 50  # channels.list takes up to 50 ids
THUMBNAIL_SIZES = ("high", "medium", "default")  # largest first


class YouTubeConnector(base.Connector):
    platform = PLATFORM
    streams = (POSTS, CHANNEL_COMMENTS, COMMENTS)
    recent_streams = (POSTS, COMMENTS)
    profiles_per_call = PROFILES_PER_CALL
    daily_quota = DAILY_QUOTA

    @classmethod
    def recent_hours(cls) -> int:
        return settings.youtube_recent_hours

    @classmethod
    def recent_quota_budget(cls) -> int | None:
        return settings.youtube_recent_quota

    @staticmethod
    def quota_day(now: datetime) -> str:
        """Google resets the quota at midnight Pacific time."""
        return now.astimezone(PACIFIC).date().isoformat()

    def __init__(self, account: base.AccountConfig, http: HttpClient) -> None:
        super().__init__(account, http)
        self.uploads: str | None = None
        self._auth = _auth_params(account.credentials)

    @classmethod
    def from_account(cls, account: base.AccountConfig, options: HttpOptions) -> YouTubeConnector:
        key = str(account.credentials.get("api_key", ""))[-6:]  # quota is per API key
        headers = {}
        if account.credentials.get("access_token"):
            headers["Authorization"] = f"Bearer {account.credentials['access_token']}"
        http = HttpClient(
            base_url=settings.youtube_base_url,
            budget=budget_for(PLATFORM, key),
            options=options,
            headers=headers,
        )
        return cls(account, http)

    def resolve(self) -> str | None:
        body = self._get(
            "channels", {"part": "snippet,contentDetails", "id": self.account.external_id}
        )
        items = body.get("items") or []
        if not items:
            raise base.ConnectorError.gone(
                f"YouTube channel {self.account.external_id} no longer exists", "channelNotFound"
            )
        self.uploads = items[0]["contentDetails"]["relatedPlaylists"]["uploads"]
        return str(items[0]["snippet"].get("title") or self.account.handle)

    def read(
        self, stream: base.Stream, state: base.State, *, full: bool, posts: dict[str, Any]
    ) -> Iterator[base.Page]:
        if stream is POSTS:
            since = POSTS.since(state, full=full)
            yield from paging.cursor_pass(
                POSTS,
                state,
                full=full,
                fetch=self._videos_page,
                position=paging.Position(key=_published, value=_published_text, load=parse_rfc3339),
                to_records=lambda v: [_post_record(v)],
                stop_before=since,
                on_page=paging.remember_posts(_video_sig, lambda v: v["id"], _published_text),
            )
        elif stream is CHANNEL_COMMENTS:
            yield from self._channel_comments(state, full=full)
        elif stream is COMMENTS:
            yield from paging.engagement_pass(
                COMMENTS, state, posts, full=full, read_post=self._video_comments
            )

    def fetch_profiles(self, external_user_ids: list[str]) -> list[base.Profile]:
        """channels.list by id: the commenters' channels (unknown ids are simply not listed)."""
        body = self._get(
            "channels", {"part": "snippet,statistics", "id": ",".join(external_user_ids)}
        )
        profiles = (_profile(item) for item in body.get("items") or [])
        return [p for p in profiles if p is not None]

    # -- posts ----------------------------------------------------------------------------

    def _videos_page(self, token: str | None) -> tuple[list[Any], str | None]:
        params = {"part": "contentDetails", "playlistId": self.uploads, "maxResults": 50}
        body = self._get("playlistItems", {**params, **({"pageToken": token} if token else {})})
        ids = [i for i in (_video_id(item) for item in body.get("items") or []) if i]
        videos = (
            self._get(
                "videos", {"part": "snippet,statistics", "id": ",".join(ids), "maxResults": 50}
            ).get("items")
            if ids
            else []
        )
        return list(videos or []), body.get("nextPageToken")

    # -- comments -------------------------------------------------------------------------

    def _channel_comments(self, state: base.State, *, full: bool) -> Iterator[base.Page]:
        """Threads started since the last sync on any video, so comments on videos older than
        the posts' look-back are not missed. A first or full sync reads every video's comments
        (the comments stream), so here it only starts the clock."""
        if full or (state.get("cursor") is None and state.get("page") is None):
            yield base.Page(records=[], state={"cursor": to_rfc3339(utcnow())})
            return
        yield from paging.cursor_pass(
            CHANNEL_COMMENTS,
            state,
            full=False,
            fetch=self._channel_threads_page,
            position=paging.Position(key=_thread_time, value=_thread_time_text, load=parse_rfc3339),
            to_records=self._thread_records,
            stop_before=CHANNEL_COMMENTS.since(state, full=False),
        )

    def _channel_threads_page(self, token: str | None) -> tuple[list[Any], str | None]:
        params = {
            "part": "snippet,replies",
            "allThreadsRelatedToChannelId": self.account.external_id,
            "maxResults": 100,
            "order": "time",
        }
        body = self._get("commentThreads", {**params, **({"pageToken": token} if token else {})})
        return list(body.get("items") or []), body.get("nextPageToken")

    def _video_comments(
        self, video_id: str, _info: dict[str, Any]
    ) -> tuple[list[base.Record], list[Any]]:
        records: list[base.Record] = []
        rejects: list[Any] = []
        for threads in self._thread_pages(video_id):
            recs, rejs = base.convert(COMMENTS, threads, self._thread_records)
            records.extend(recs)
            rejects.extend(rejs)
        return records, rejects

    def _thread_pages(self, video_id: str) -> Iterator[list[Any]]:
        token: str | None = None
        params = {"part": "snippet,replies", "videoId": video_id, "maxResults": 100}
        while True:
            try:
                body = self._get(
                    "commentThreads", {**params, **({"pageToken": token} if token else {})}
                )
            except base.ConnectorError as exc:
                if exc.reason in SKIP_VIDEO_REASONS:  # deleted video, comments turned off
                    return
                raise
            yield list(body.get("items") or [])
            token = body.get("nextPageToken")
            if not token:
                return

    def _thread_records(self, thread: dict[str, Any]) -> list[base.Record]:
        snippet = thread["snippet"]
        top = snippet["topLevelComment"]
        video_id = base.require_text(
            snippet.get("videoId") or top["snippet"].get("videoId"), "videoId"
        )
        records = [self._comment(top, video_id, "comment")]
        replies = (thread.get("replies") or {}).get("comments") or []
        if int(snippet.get("totalReplyCount") or 0) > len(replies):
            replies = list(self._all_replies(top["id"]))
        records.extend(self._comment(r, video_id, "reply") for r in replies)
        return [r for r in records if r]

    def _all_replies(self, parent_id: str) -> Iterator[dict[str, Any]]:
        token: str | None = None
        while True:
            params = {"part": "snippet", "parentId": parent_id, "maxResults": 100}
            body = self._get("comments", {**params, **({"pageToken": token} if token else {})})
            yield from body.get("items") or []
            token = body.get("nextPageToken")
            if not token:
                return

    def _comment(self, comment: dict[str, Any], video_id: str, kind: str) -> base.Record:
        s = comment["snippet"]
        author = base.require_text((s.get("authorChannelId") or {}).get("value"), "authorChannelId")
        if author == self.account.external_id:
            return {}  # the creator's own replies are not fan activity
        who = base.user(
            external_user_id=author,
            username=(s.get("authorDisplayName") or "").lstrip("@") or None,
            display_name=s.get("authorDisplayName"),
            profile_url=s.get("authorChannelUrl"),
            avatar_url=s.get("authorProfileImageUrl"),
        )
        return base.interaction(
            PLATFORM,
            kind,
            who,
            external_post_id=video_id,
            external_id=base.require_text(comment["id"], "id"),
            text=s.get("textOriginal") or s.get("textDisplay"),
            parent_external_id=s.get("parentId") if kind == "reply" else None,
            occurred_at=s["publishedAt"],
        )

    # -- HTTP and errors ------------------------------------------------------------------

    def reply(self, *, parent_id: str, text: str, idempotency_key: str) -> str:
        """comments.insert as a reply to a comment thread's comment (OAuth access token)."""
        body = {"snippet": {"parentId": parent_id, "textOriginal": text}}
        try:
            response = self.http.write_once(
                "comments", params={"part": "snippet"}, json=body, cost=50
            )
        except httpx.TransportError as exc:
            raise base.ConnectorError.transient(f"YouTube: {exc!r}", "unavailable") from exc
        if response.is_success:
            return str(_json(response)["id"])
        raise youtube_error(response)

    def _get(self, resource: str, params: dict[str, Any]) -> dict[str, Any]:
        try:
            response = self.http.get(resource, params={**params, **self._auth}, cost=COST[resource])
        except RetriesExhausted as exc:
            raise base.ConnectorError.transient(f"YouTube: {exc}", "unavailable") from exc
        except QuotaLimitReached as exc:
            message = f"YouTube: stopped at the quota budget of this poll ({exc})"
            raise base.ConnectorError.transient(message, QUOTA_BUDGET) from exc
        if response.is_success:
            return _json(response)
        raise youtube_error(response)


def youtube_error(response: httpx.Response) -> base.ConnectorError:
    """Classify a Google API error body ({"error": {"errors": [{"reason"}], "status"}})."""
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return base.ConnectorError.transient(f"YouTube HTTP {response.status_code}", "http_error")
    reasons = [e.get("reason") for e in error.get("errors") or [] if isinstance(e, dict)]
    reasons += [d.get("reason") for d in error.get("details") or [] if isinstance(d, dict)]
    message = f"YouTube: {error.get('message') or response.status_code}"
    for reason in reasons:
        if reason in REAUTH_REASONS or (
            reason in REAUTH_IF_UNAUTHORIZED and _credential_status(response.status_code, reason)
        ):
            return base.ConnectorError.needs_reauth(f"{message} (reconnect the account)", reason)
        if reason in GONE_REASONS:
            return base.ConnectorError.gone(message, reason)
    if response.status_code == 401 or error.get("status") == "UNAUTHENTICATED":
        return base.ConnectorError.needs_reauth(f"{message} (reconnect the account)", "authError")
    return base.ConnectorError.transient(message, next((r for r in reasons if r), "http_error"))


def _credential_status(status: int, reason: str) -> bool:
    # Google answers a bad API key with 400 badRequest (domain global): our requests are
    # well-formed, so a bare badRequest means the key. Missing auth is 401/403.
    return status in (401, 403) or (status == 400 and reason == "badRequest")


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError as exc:
        raise base.ConnectorError.transient(
            "upstream answered with invalid JSON", "bad_json"
        ) from exc
    if not isinstance(body, dict):
        raise base.ConnectorError.transient("upstream answered with an unexpected body", "bad_json")
    return body


def _auth_params(credentials: dict[str, Any]) -> dict[str, str]:
    return {"key": str(credentials["api_key"])} if credentials.get("api_key") else {}


def _profile(channel: Any) -> base.Profile | None:
    """A channel as a profile; a malformed item is left out (the identity stays as it was)."""
    try:
        snippet = channel.get("snippet") or {}
        stats = channel.get("statistics") or {}
        # Absent when the owner hides it (hiddenSubscriberCount); a JSON string otherwise.
        count = stats.get("subscriberCount")
        return base.Profile(
            external_user_id=base.require_text(channel["id"], "id"),
            username=(snippet.get("customUrl") or "").lstrip("@") or None,
            display_name=snippet.get("title") or None,
            avatar_url=_thumbnail(snippet.get("thumbnails") or {}),
            bio=snippet.get("description") or None,
            follower_count=int(count) if count is not None else None,
        )
    except (AttributeError, KeyError, TypeError, ValueError):
        return None


def _thumbnail(thumbnails: dict[str, Any]) -> str | None:
    for size in THUMBNAIL_SIZES:
        url = (thumbnails.get(size) or {}).get("url")
        if isinstance(url, str) and url:
            return url
    return None


def _video_id(item: Any) -> str | None:
    try:
        return str(item["contentDetails"]["videoId"])
    except (KeyError, TypeError):
        return None


def _published_text(video: dict[str, Any]) -> str:
    return base.checked_time(video["snippet"]["publishedAt"])


def _published(video: dict[str, Any]) -> Any:
    return parse_rfc3339(_published_text(video))


def _thread_time_text(thread: dict[str, Any]) -> str:
    return base.checked_time(thread["snippet"]["topLevelComment"]["snippet"]["publishedAt"])


def _thread_time(thread: dict[str, Any]) -> Any:
    return parse_rfc3339(_thread_time_text(thread))


def _video_sig(video: dict[str, Any]) -> str:
    return str((video.get("statistics") or {}).get("commentCount", "?"))


def _post_record(video: dict[str, Any]) -> base.Record:
    stats = video.get("statistics") or {}
    metrics = {
        name: int(stats[key])
        for name, key in (
            ("views", "viewCount"),
            ("likes", "likeCount"),
            ("comments", "commentCount"),
        )
        if stats.get(key) is not None
    }
    video_id = base.require_text(video["id"], "id")
    return {
        "type": "post",
        "platform": PLATFORM,
        "external_post_id": video_id,
        "url": f"https://www.youtube.com/watch?v={video_id}",
        "caption": video["snippet"].get("title"),
        "posted_at": _published_text(video),
        "metrics": metrics,
    }
