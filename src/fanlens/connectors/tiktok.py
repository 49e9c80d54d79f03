"""TikTok: videos from the Display API, their comments from the API for Business.

The Display API lists the creator's videos with their counts (likes, comments, shares and
views stay counts: TikTok lists no likers); it has no comment list, so comments and replies
come from the Business API's comment list for the same account, each with its own time.

The two families answer errors differently: the Display API with a string code and a real
HTTP status, the Business API with a numeric code and HTTP 200. Both are mapped to permanent
(bad or revoked token, missing scope, bad parameter) or transient (throttled, system error).
Access tokens live hours and refresh tokens rotate, so an expired access token is refreshed
once, mid-sync if need be, and the new pair is stored at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from fanlens.config import settings
from fanlens.connectors import base, paging
from fanlens.kit.http import HttpClient, HttpOptions, RetriesExhausted, budget_for
from fanlens.kit.timeutil import parse_rfc3339, to_rfc3339, utcnow

PLATFORM = "tiktok"
POSTS = base.Stream("posts", ("external_post_id",), "posted_at", None, timedelta(days=7))
COMMENTS = base.Stream("comments", ("external_id",), None)
VIDEO_FIELDS = "id,create_time,title,video_description,share_url,like_count,comment_count,share_count,view_count"  # noqa: E501
VIDEOS_PER_PAGE = 20  # the documented maximum
COMMENTS_PER_PAGE = 30
# Display API error codes (developers.tiktok.com/doc/tiktok-api-v2-error-handling).
DISPLAY_REAUTH = {"scope_not_authorized", "scope_permission_missed"}
DISPLAY_TRANSIENT = {"rate_limit_exceeded", "internal_error"}
# API for Business codes (HTTP 200 with a non-zero code).
BUSINESS_TOKEN = {40102, 40104, 40105}
BUSINESS_THROTTLED = {40100, 51021}
BUSINESS_TRANSIENT = {50000, 50002}
BUSINESS_NO_PERMISSION = {40001}
OAUTH_REAUTH = {"invalid_grant", "invalid_client", "unauthorized_client", "access_denied"}
TRIES = 5
THROTTLE_PAUSE = 10.0  # seconds, doubled per try: TikTok's windows are one minute long
EXPIRY_MARGIN = timedelta(minutes=5)


class TikTokConnector(base.Connector):
    platform = PLATFORM
    streams = (POSTS, COMMENTS)
    recent_streams = (POSTS, COMMENTS)  # TikTok pushes no comments

    @classmethod
    def recent_hours(cls) -> int:
        return settings.tiktok_recent_hours

    def __init__(self, account: base.AccountConfig, http: HttpClient) -> None:
        super().__init__(account, http)
        self.credentials = dict(account.credentials)
        self.business_url = settings.tiktok_business_base_url.rstrip("/")

    @classmethod
    def from_account(cls, account: base.AccountConfig, options: HttpOptions) -> TikTokConnector:
        http = HttpClient(
            base_url=settings.tiktok_base_url, budget=budget_for(PLATFORM), options=options
        )
        return cls(account, http)

    def resolve(self) -> str | None:
        expires_at = self.credentials.get("expires_at")
        if expires_at and parse_rfc3339(expires_at) - utcnow() < EXPIRY_MARGIN:
            self._refresh()
        fields = {"fields": "open_id,display_name,username"}
        found = self._display("GET", "v2/user/info/", fields).get("user") or {}
        if found.get("open_id") and found["open_id"] != self.account.external_id:
            raise base.ConnectorError.needs_reauth(
                "TikTok: the token belongs to another account (reconnect the account)",
                "other_account",
            )
        return str(found.get("display_name") or found.get("username") or self.account.handle)

    def read(
        self, stream: base.Stream, state: base.State, *, full: bool, posts: dict[str, Any]
    ) -> Iterator[base.Page]:
        if stream is POSTS:
            yield from paging.cursor_pass(
                POSTS,
                state,
                full=full,
                fetch=self._videos_page,
                position=paging.Position(key=_created, value=_created_text, load=parse_rfc3339),
                to_records=lambda v: [_post_record(v)],
                stop_before=POSTS.since(state, full=full),
                on_page=paging.remember_posts(
                    lambda v: str(v.get("comment_count", "?")), lambda v: v["id"], _created_text
                ),
            )
        elif stream is COMMENTS:
            yield from paging.engagement_pass(
                COMMENTS, state, posts, full=full, read_post=self._video_comments
            )

    # -- videos ---------------------------------------------------------------------------

    def _videos_page(self, cursor: int | None) -> tuple[list[Any], int | None]:
        body: dict[str, Any] = {"max_count": VIDEOS_PER_PAGE}
        if cursor is not None:
            body["cursor"] = cursor  # milliseconds: videos posted before it
        data = self._display("POST", "v2/video/list/", {"fields": VIDEO_FIELDS}, body)
        videos = list(data.get("videos") or [])
        return videos, data.get("cursor") if data.get("has_more") else None

    # -- comments -------------------------------------------------------------------------

    def _video_comments(
        self, video_id: str, _info: dict[str, Any]
    ) -> tuple[list[base.Record], list[Any]]:
        records: list[base.Record] = []
        rejects: list[Any] = []
        params = {"video_id": video_id}
        try:
            for comments in self._comment_pages("business/comment/list/", params):
                recs, rejs = base.convert(COMMENTS, comments, self._thread)
                records.extend(recs)
                rejects.extend(rejs)
        except base.ConnectorError as exc:
            if exc.reason != "invalid_params":  # a video deleted since it was listed
                raise
        return records, rejects

    def _thread(self, comment: dict[str, Any]) -> list[base.Record]:
        records = [self._comment(comment, "comment")]
        if int(comment.get("replies") or 0) > 0:
            params = {"video_id": comment["video_id"], "comment_id": comment["comment_id"]}
            for replies in self._comment_pages("business/comment/reply/list/", params):
                records.extend(self._comment(r, "reply") for r in replies)
        return [r for r in records if r]

    def _comment(self, comment: dict[str, Any], kind: str) -> base.Record:
        author = base.require_text(
            comment.get("unique_identifier") or comment.get("user_id"), "user"
        )
        if comment.get("owner") or author == self.account.external_id:
            return {}  # the creator's own comments are not fan activity
        who = base.user(
            external_user_id=author,
            username=comment.get("username"),
            display_name=comment.get("display_name"),
            avatar_url=comment.get("profile_image"),
        )
        return base.interaction(
            PLATFORM,
            kind,
            who,
            external_post_id=base.require_text(comment["video_id"], "video_id"),
            external_id=base.require_text(comment["comment_id"], "comment_id"),
            text=comment.get("text"),
            parent_external_id=comment.get("parent_comment_id") if kind == "reply" else None,
            occurred_at=_seconds(comment["create_time"]),
        )

    def _comment_pages(self, path: str, params: dict[str, Any]) -> Iterator[list[Any]]:
        cursor = 0
        while True:
            page = {
                **params,
                "business_id": self.account.external_id,
                "cursor": cursor,
                "max_count": COMMENTS_PER_PAGE,
                "sort_field": "create_time",
                "sort_order": "asc",  # offsets stay put while new comments arrive
            }
            data = self._business(path, page)
            yield list(data.get("comments") or [])
            if not data.get("has_more"):
                return
            cursor = int(data.get("cursor") or cursor + COMMENTS_PER_PAGE)

    # -- tokens ---------------------------------------------------------------------------

    def _refresh(self) -> None:
        """Trade the refresh token for a new pair; it rotates, so store the new one now."""
        refresh_token = self.credentials.get("refresh_token")
        if not refresh_token:
            raise base.ConnectorError.needs_reauth(
                "TikTok: the access token expired and no refresh token is stored "
                "(reconnect the account)",
                "access_token_invalid",
            )
        form = {
            "client_key": self.credentials.get("client_key", ""),
            "client_secret": self.credentials.get("client_secret", ""),
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
        }
        response = self._call("POST", "v2/oauth/token/", data=form)
        body = _json(response)
        if not response.is_success or "access_token" not in body:
            raise oauth_error(response.status_code, body)
        lifetime = timedelta(seconds=int(body.get("expires_in") or 3600))
        self.credentials |= {
            "access_token": body["access_token"],
            "refresh_token": body.get("refresh_token") or refresh_token,
            "expires_at": to_rfc3339(utcnow() + lifetime),
        }
        self.save_credentials(self.credentials)

    # -- HTTP and errors ------------------------------------------------------------------

    def _display(
        self, method: str, path: str, params: dict[str, Any], body: Any = None
    ) -> dict[str, Any]:
        for attempt in range(2):  # a second time only after refreshing the token
            bearer = {"Authorization": f"Bearer {self.credentials.get('access_token', '')}"}
            response = self._call(method, path, params=params, json=body, headers=bearer)
            payload = _json(response)
            error = payload.get("error") or {}
            code = error.get("code") if isinstance(error, dict) else None
            if response.is_success and code in ("ok", None):
                return dict(payload.get("data") or {})
            if code == "access_token_invalid" and attempt == 0:
                self._refresh()
                continue
            raise display_error(response.status_code, error)
        raise AssertionError("unreachable")

    def _business(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        refreshed = False
        for attempt in range(TRIES):
            headers = {"Access-Token": str(self.credentials.get("access_token", ""))}
            url = f"{self.business_url}/{path}"
            response = self._call("GET", url, params=params, headers=headers)
            payload = _json(response)
            code = payload.get("code")
            if code == 0:
                return dict(payload.get("data") or {})
            if code in BUSINESS_TOKEN and not refreshed:
                self._refresh()
                refreshed = True
                continue
            error = business_error(payload)
            if error.permanent:
                raise error
            pause = THROTTLE_PAUSE if code in BUSINESS_THROTTLED else self.http.options.backoff
            self.http.options.sleep(min(pause * 2**attempt, self.http.options.max_backoff * 4))
        raise base.ConnectorError.transient(
            f"TikTok: still failing after {TRIES} tries", "unavailable"
        )

    def _call(self, method: str, url: str, **request: Any) -> httpx.Response:
        # TikTok counts 600 requests a minute per endpoint (and app): one budget each.
        endpoint = url.rstrip("/").rsplit("/", 2)[-2:]
        key = f"{self.credentials.get('client_key', '')}:{'/'.join(endpoint)}"
        try:
            return self.http.request(method, url, budget=budget_for(PLATFORM, key), **request)
        except RetriesExhausted as exc:
            raise base.ConnectorError.transient(f"TikTok: {exc}", "unavailable") from exc


def display_error(status: int, error: Any) -> base.ConnectorError:
    """Classify a Display API error object ({"code": "...", "message", "log_id"})."""
    if not isinstance(error, dict) or not isinstance(error.get("code"), str):
        return base.ConnectorError.transient(f"TikTok HTTP {status}", "http_error")
    code = error["code"]
    message = f"TikTok: {error.get('message') or code}"
    if code == "access_token_invalid" or code in DISPLAY_REAUTH:
        return base.ConnectorError.needs_reauth(f"{message} (reconnect the account)", code)
    if code in DISPLAY_TRANSIENT or status >= 500:
        return base.ConnectorError.transient(message, code)
    return base.ConnectorError(message, permanent=True, reason=code)


def business_error(payload: dict[str, Any]) -> base.ConnectorError:
    """Classify an API for Business answer whose `code` is not 0."""
    code = payload.get("code")
    message = f"TikTok: {payload.get('message') or code}"
    if not isinstance(code, int):
        return base.ConnectorError.transient("TikTok: an answer without a code", "http_error")
    if code in BUSINESS_TOKEN or code in BUSINESS_NO_PERMISSION:
        return base.ConnectorError.needs_reauth(
            f"{message} (reconnect the account)", f"code_{code}"
        )
    if code in BUSINESS_THROTTLED or code in BUSINESS_TRANSIENT:
        return base.ConnectorError.transient(message, f"code_{code}")
    if code == 40002:
        return base.ConnectorError(message, permanent=True, reason="invalid_params")
    return base.ConnectorError(message, permanent=True, reason=f"code_{code}")


def oauth_error(status: int, body: dict[str, Any]) -> base.ConnectorError:
    error = str(body.get("error") or f"HTTP {status}")
    message = f"TikTok token refresh: {body.get('error_description') or error}"
    if error in OAUTH_REAUTH:
        return base.ConnectorError.needs_reauth(f"{message} (reconnect the account)", error)
    return base.ConnectorError.transient(message, error)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError as exc:
        raise base.ConnectorError.transient(
            f"TikTok answered HTTP {response.status_code} without JSON", "bad_json"
        ) from exc
    if not isinstance(body, dict):
        raise base.ConnectorError.transient("TikTok answered with an unexpected body", "bad_json")
    return body


def _seconds(value: Any) -> str:
    """TikTok times are Unix seconds (an int, in some answers a numeric string)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"create_time must be Unix seconds, got {value!r}")
    return to_rfc3339(datetime.fromtimestamp(int(value), UTC))


def _created_text(video: dict[str, Any]) -> str:
    return _seconds(video["create_time"])


def _created(video: dict[str, Any]) -> Any:
    return parse_rfc3339(_created_text(video))


def _post_record(video: dict[str, Any]) -> base.Record:
    counts = {
        "views": video.get("view_count"),
        "likes": video.get("like_count"),
        "comments": video.get("comment_count"),
        "shares": video.get("share_count"),
    }
    share_url = video.get("share_url")
    return {
        "type": "post",
        "platform": PLATFORM,
        "external_post_id": base.require_text(video["id"], "id"),
        "url": share_url.split("?")[0] if isinstance(share_url, str) else None,
        "caption": video.get("title") or video.get("video_description"),
        "posted_at": _created_text(video),
        "metrics": {k: int(v) for k, v in counts.items() if v is not None},
    }
