"""TikTok: the Display API (user info, video list, OAuth token refresh) and the API for
Business comment lists, served from one root.

- Display API and OAuth like ``https://open.tiktokapis.com``: ``GET /v2/user/info/``,
  ``POST /v2/video/list/`` (``fields`` in the query; body ``cursor`` in UTC milliseconds and
  ``max_count`` ≤ 20; newest first; ``cursor`` / ``has_more`` in the answer) and
  ``POST /v2/oauth/token/`` (refresh tokens rotate: the old one dies). Envelope ``{"data": …,
  "error": {"code": "ok", "message", "log_id"}}`` with real HTTP statuses (401
  ``access_token_invalid``, 400 ``invalid_params``, 429 ``rate_limit_exceeded``, 500
  ``internal_error``); OAuth errors are ``{"error", "error_description", "log_id"}``.
- API for Business like ``https://business-api.tiktok.com/open_api/v1.3``:
  ``GET /business/comment/list/`` and ``GET /business/comment/reply/list/`` (``Access-Token``
  header; offset ``cursor``, ``max_count`` ≤ 30). Envelope ``{"code": 0, "message": "OK",
  "request_id", "data"}``, HTTP 200 even on errors (40100 throttled, 40105 bad token, 40002
  bad parameter, 50002 system error).

Webhooks: ``POST /_sim/webhooks/event`` with ``event`` (``authorization.removed``,
``video.upload.failed``, ``video.publish.completed``, ``portability.download.ready``),
``content`` (an object, sent serialised as TikTok does), optional ``records`` (added to the world
first, e.g. the published video), ``user_openid`` (default: the creator's) and ``url`` /
``secret`` (else the ``webhook_url`` option and the client secret) POSTs the event to fanlens
signed as TikTok signs it (``TikTok-Signature: t=<seconds>,s=<hex HMAC-SHA256 of "t.body">``),
and answers what fanlens answered.

TikTok documents no rate-limit headers (600 requests per minute per endpoint). Likes, shares
and views are counts only; comments and replies carry who and when.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fanlens.simulators.base import Reject, Simulator, Window, int_param
from fanlens.simulators.ids import (
    TIKTOK_CREATOR_OPEN_ID,
    TIKTOK_CREATOR_USERNAME,
    digest,
    safe_username,
    tiktok_comment_id,
    tiktok_user_id,
    tiktok_video_id,
)
from fanlens.simulators.world import SimInteraction, SimPost

BUSINESS = "/open_api/v1.3"
VIDEO_FIELDS = {
    "id", "create_time", "title", "video_description", "duration", "height", "width",
    "cover_image_url", "share_url", "embed_link", "like_count", "comment_count",
    "share_count", "view_count",
}  # fmt: skip
USER_FIELDS = {"open_id", "union_id", "display_name", "username", "avatar_url", "follower_count"}
ACCESS_LIFETIME = 7_200  # seconds (two hours in the newest docs)
REFRESH_LIFETIME = 15_552_000  # 180 days
PER_MINUTE = 600


def log_id() -> str:
    return time.strftime("%Y%m%d%H%M%S") + secrets.token_hex(8).upper()


def display(data: Any, status: int = 200, code: str = "ok", message: str = "") -> JSONResponse:
    body = {"data": data, "error": {"code": code, "message": message, "log_id": log_id()}}
    return JSONResponse(body, status_code=status)


def business(data: Any = None, code: int = 0, message: str = "OK") -> JSONResponse:
    body = {"code": code, "message": message, "request_id": log_id(), "data": data or {}}
    return JSONResponse(body)  # HTTP 200 even when `code` says it failed


def oauth_error(error: str, description: str, status: int = 400) -> JSONResponse:
    body = {"error": error, "error_description": description, "log_id": log_id()}
    return JSONResponse(body, status_code=status)


@dataclass
class Comment:
    id: str
    video_id: str
    created: datetime
    text: str
    user_id: str | None  # None: the creator
    parent_id: str  # the video id for a top-level comment


class TikTokSimulator(Simulator):
    platform = "tiktok"

    def __init__(self, records: Any = (), **options: Any) -> None:
        super().__init__(records, **options)
        self.open_id = options.get("open_id", TIKTOK_CREATOR_OPEN_ID)
        self.username = options.get("username", TIKTOK_CREATOR_USERNAME)
        self.client = (options.get("client_key", "sim-client"), options.get("client_secret", "s"))
        self.access: set[str] = set(options.get("access_tokens", ("act.sim",)))
        self.refresh_tokens: set[str] = set(options.get("refresh_tokens", ("rft.sim",)))
        self.fresh: set[str] = set()  # access tokens issued since a token fault was set
        self.limit = int(options.get("per_minute", PER_MINUTE))
        self.windows: dict[str, Window] = {}
        self._business = False
        self._index: tuple[int, dict[str, SimPost], dict[str, list[Comment]], Any] | None = None

    def routes(self) -> list[Route]:
        return [
            Route("/_sim/webhooks/event", self.webhook_event, methods=["POST"]),
            Route("/v2/user/info/", self.guard("user/info", self.user_info), methods=["GET"]),
            Route("/v2/video/list/", self.guard("video/list", self.video_list), methods=["POST"]),
            Route("/v2/oauth/token/", self.guard("oauth/token", self.token), methods=["POST"]),
            Route(
                BUSINESS + "/business/comment/list/",
                self.guard("comment/list", self.comment_list),
                methods=["GET"],
            ),
            Route(
                BUSINESS + "/business/comment/reply/list/",
                self.guard("comment/reply/list", self.reply_list),
                methods=["GET"],
            ),
        ]

    def guard(self, name: str, handler: Any) -> Any:
        """Read a POST body first: handlers run synchronously under the world's lock."""
        inner = super().guard(name, handler)

        async def endpoint(request: Request) -> Response:
            if request.method == "POST":
                if "form" in request.headers.get("content-type", ""):
                    request.state.form = {k: str(v) for k, v in (await request.form()).items()}
                else:
                    request.state.body = await self._json_body(request)
            return await inner(request)

        return endpoint

    # -- errors, limits, credentials -----------------------------------------------------------
    def _faulted(self, request: Request, name: str, path: str) -> Response | None:
        self._business = path.startswith(BUSINESS)  # which family's error shape to answer in
        return super()._faulted(request, name, path)

    def error_too_many(self, retry_after: int) -> Response:
        if self._business:
            message = "Due to too many requests, requests from App are temporarily restricted."
            return business(code=40100, message=message)
        message = "API rate limit exceeded, please retry later."
        return display({}, 429, "rate_limit_exceeded", message)

    def error_server(self, status: int) -> Response:
        if self._business:
            return business(code=50002, message="System error, please try again later.")
        return display({}, status, "internal_error", "Something went wrong. Try again later.")

    def error_not_found_route(self) -> Response:
        if self._business:
            return business(code=40002, message="Invalid path.")
        return display({}, 404, "invalid_params", "The requested path does not exist.")

    def check_budget(self, request: Request, name: str) -> Response | None:
        window = self.windows.setdefault(name, Window(self.limit, 60))
        return None if window.consume(time.time()) else self.error_too_many(1)

    def check_auth(self, request: Request, name: str) -> Response | None:
        if name == "oauth/token":
            return None  # authenticated by the client key and secret in the body
        if self._business:
            token = request.headers.get("access-token")
        else:
            header = request.headers.get("authorization", "")
            token = header[7:].strip() if header.lower().startswith("bearer ") else None
        if self._token_ok(token):
            return None
        if self._business:
            return business(code=40105, message="Access token is incorrect or has been revoked.")
        message = "The access token is invalid or not found in the request."
        return display({}, 401, "access_token_invalid", message)

    def _token_ok(self, token: str | None) -> bool:
        if not token or token not in self.access:
            return False
        if self.faults.token == "expired":
            return token in self.fresh  # only tokens refreshed since expiry still work
        return not self.faults.token

    def on_faults_posted(self, body: dict[str, Any]) -> None:
        if "token" in body:
            self.fresh = set()
        if "per_minute" in body:
            self.limit, self.windows = int(body["per_minute"]), {}

    def state(self) -> dict[str, Any]:
        return {"per_minute": self.limit, "refreshes": len(self.fresh)}

    def corrupt(self, item: dict[str, Any]) -> dict[str, Any]:
        item["create_time"] = "yesterday"
        item.pop("id", None)
        item.pop("comment_id", None)
        return item

    # -- the index -----------------------------------------------------------------------------
    def _idx(self) -> tuple[dict[str, SimPost], dict[str, list[Comment]], dict[str, Comment]]:
        world = self.world
        if self._index is not None and self._index[0] == world.version:
            return self._index[1], self._index[2], self._index[3]
        videos = {tiktok_video_id(p.external_post_id): p for p in world.posts.values()}
        threads: dict[str, list[Comment]] = {}  # parent id (video or comment) -> comments
        by_id: dict[str, Comment] = {}
        for item in world.of_kind("comment"):
            if item.post_id in world.posts:
                vid = tiktok_video_id(item.post_id or "")
                self._add(threads, by_id, self._comment_of(item, vid, vid))
        for item in world.of_kind("reply"):
            if item.post_id in world.posts:
                parent = self._parent(item, threads, by_id)
                self._add(threads, by_id, self._comment_of(item, parent.video_id, parent.id))
        for items in threads.values():
            items.sort(key=lambda c: (c.created, c.id))
        self._index = (world.version, videos, threads, by_id)
        return videos, threads, by_id

    def _add(
        self, threads: dict[str, list[Comment]], by_id: dict[str, Comment], c: Comment
    ) -> None:
        threads.setdefault(c.parent_id, []).append(c)
        by_id[c.id] = c

    def _comment_of(self, item: SimInteraction, video_id: str, parent_id: str) -> Comment:
        cid = tiktok_comment_id(item.key)
        return Comment(cid, video_id, item.occurred_at, item.text or "", item.user_id, parent_id)

    def _parent(
        self, item: SimInteraction, threads: dict[str, list[Comment]], by_id: dict[str, Comment]
    ) -> Comment:
        # A reply whose parent is not a known comment hangs on one by the creator (the world
        # does not carry it); connectors skip the creator's own comments (`owner`).
        parent_id = tiktok_comment_id(item.parent_id or f"parent-{item.post_id}")
        if parent_id not in by_id:
            post = self.world.posts[item.post_id or ""]
            vid = tiktok_video_id(post.external_post_id)
            created = min(post.posted_at, item.occurred_at)
            owner = Comment(parent_id, vid, created, "thanks for watching!! 💛", None, vid)
            self._add(threads, by_id, owner)
        return by_id[parent_id]

    # -- entities ------------------------------------------------------------------------------
    def counts(self, post: SimPost) -> dict[str, int]:
        world = self.world
        likes = world.metric(post, "likes", "like")
        return {
            "like_count": likes,
            "comment_count": world.metric(post, "comments", "comment", "reply"),
            "share_count": world.metric(post, "shares", "share"),
            "view_count": post.metrics.get("views", likes * 15 + 100),
        }

    def _video(self, vid: str, post: SimPost, fields: set[str]) -> dict[str, Any]:
        share = f"https://www.tiktok.com/@{self.username}/video/{vid}"
        full: dict[str, Any] = {
            "id": vid,
            "create_time": int(post.posted_at.timestamp()),
            "title": post.title,
            "video_description": post.caption[:150],
            "duration": 8 + digest(vid, 1)[0] % 50,
            "height": 1920,
            "width": 1080,
            "cover_image_url": f"https://p16-sign.tiktokcdn-us.com/obj/{vid}~tplv-noop.image",
            "share_url": share + "?utm_campaign=tt4d_open_api",
            "embed_link": f"https://www.tiktok.com/player/v1/{vid}",
            **self.counts(post),
        }
        return {k: v for k, v in full.items() if k in fields}

    def _comment(self, comment: Comment, threads: dict[str, list[Comment]]) -> dict[str, Any]:
        user = self.world.users.get(comment.user_id or "")
        if user is None:
            uid, username, name = self.open_id, self.username, "fanlens creator"
        else:
            uid = tiktok_user_id(user.external_user_id)
            username = safe_username(user.username).lower()
            name = user.display_name or username
        return {
            "comment_id": comment.id,
            "video_id": comment.video_id,
            "unique_identifier": uid,
            "user_id": uid,
            "username": username,
            "display_name": name,
            "profile_image": f"https://p16-sign.tiktokcdn-us.com/avatar/{uid[:12]}.jpeg",
            "create_time": int(comment.created.timestamp()),
            "text": comment.text,
            "image_url": None,
            "likes": digest(comment.id, 1)[0] % 9,
            "replies": len(threads.get(comment.id, [])),
            "owner": user is None,
            "liked": False,
            "pinned": False,
            "status": "PUBLIC",
            "parent_comment_id": comment.parent_id,
        }

    # -- Display API ---------------------------------------------------------------------------
    def _fields(self, request: Request, known: set[str]) -> set[str]:
        fields = {f.strip() for f in request.query_params.get("fields", "").split(",") if f.strip()}
        if not fields or fields - known:
            bad = ", ".join(sorted(fields - known)) or "fields"
            raise Reject(display({}, 400, "invalid_params", f"Invalid fields: {bad}"))
        return fields

    def user_info(self, request: Request) -> Response:
        fields = self._fields(request, USER_FIELDS)
        full = {
            "open_id": self.open_id,
            "union_id": digest(self.open_id, 16).hex(),
            "display_name": "fanlens creator",
            "username": self.username,
            "avatar_url": "https://p16-sign-va.tiktokcdn.com/avatar/creator.jpeg",
            "follower_count": len(self.world.of_kind("follow")),
        }
        return display({"user": {k: v for k, v in full.items() if k in fields}})

    async def _json_body(self, request: Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}

    def video_list(self, request: Request) -> Response:
        fields = self._fields(request, VIDEO_FIELDS)
        body = getattr(request.state, "body", {})
        max_count = body.get("max_count", 10)
        cursor = body.get("cursor")
        if not isinstance(max_count, int) or not 1 <= max_count <= 20:
            return display({}, 400, "invalid_params", "max_count must be between 1 and 20")
        if cursor is not None and not isinstance(cursor, int):
            return display({}, 400, "invalid_params", "cursor must be an int64 timestamp")
        videos, _, _ = self._idx()
        ordered = sorted(videos.items(), key=lambda kv: (kv[1].posted_at, kv[0]), reverse=True)
        older = [
            (vid, p)
            for vid, p in ordered
            if cursor is None or p.posted_at.timestamp() * 1000 < cursor
        ]
        page = older[:max_count]
        items = self.malform(request, [self._video(vid, p, fields) for vid, p in page])
        next_cursor = int(page[-1][1].posted_at.timestamp() * 1000) if page else (cursor or 0)
        data = {"videos": items, "cursor": next_cursor, "has_more": len(older) > len(page)}
        return display(data)

    def token(self, request: Request) -> Response:
        form = getattr(request.state, "form", {})
        if (form.get("client_key"), form.get("client_secret")) != self.client:
            return oauth_error("invalid_client", "Client key or secret is invalid.", 401)
        if form.get("grant_type") != "refresh_token":
            return oauth_error("unsupported_grant_type", "Only refresh_token is supported here.")
        old = form.get("refresh_token")
        if old not in self.refresh_tokens or self.faults.token in ("revoked", "invalid"):
            return oauth_error("invalid_grant", "Refresh token is invalid or expired.")
        self.refresh_tokens.discard(old)  # refresh tokens rotate
        access, refresh = "act." + secrets.token_hex(16), "rft." + secrets.token_hex(16)
        self.access.add(access)
        self.fresh.add(access)
        self.refresh_tokens.add(refresh)
        return JSONResponse(
            {
                "access_token": access,
                "expires_in": ACCESS_LIFETIME,
                "open_id": self.open_id,
                "refresh_expires_in": REFRESH_LIFETIME,
                "refresh_token": refresh,
                "scope": "user.info.basic,video.list,comment.list",
                "token_type": "Bearer",
            }
        )

    # -- API for Business ----------------------------------------------------------------------
    def _paging(self, request: Request) -> tuple[int, int]:
        cursor = int_param(request, "cursor", 0, 0, 10**9)
        max_count = int_param(request, "max_count", 20, 1, 30)
        if cursor is None or max_count is None:
            raise Reject(business(code=40002, message="cursor or max_count: invalid value"))
        return cursor, max_count

    def _video_or_reject(self, request: Request) -> str:
        params = request.query_params
        if params.get("business_id") != self.open_id:
            raise Reject(business(code=40001, message="No permission to operate this account."))
        vid = params.get("video_id")
        if not vid:
            raise Reject(business(code=40002, message="video_id: Field must be set"))
        if vid not in self._idx()[0]:
            raise Reject(business(code=40002, message=f"video_id: video {vid} does not exist"))
        return vid

    def _list(self, request: Request, items: list[Comment], threads: Any) -> Response:
        cursor, max_count = self._paging(request)
        if request.query_params.get("sort_order", "asc") == "desc":
            items = items[::-1]
        page = items[cursor : cursor + max_count]
        comments = self.malform(request, [self._comment(c, threads) for c in page])
        more = cursor + max_count < len(items)
        return business({"comments": comments, "cursor": cursor + len(page), "has_more": more})

    def comment_list(self, request: Request) -> Response:
        vid = self._video_or_reject(request)
        _, threads, _ = self._idx()
        return self._list(request, threads.get(vid, []), threads)

    def reply_list(self, request: Request) -> Response:
        vid = self._video_or_reject(request)
        _, threads, by_id = self._idx()
        parent = by_id.get(request.query_params.get("comment_id", ""))
        if parent is None or parent.video_id != vid:
            return business(code=40002, message="comment_id: comment does not exist")
        return self._list(request, threads.get(parent.id, []), threads)

    # -- webhooks ------------------------------------------------------------------------------
    async def webhook_event(self, request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("event"), str):
            return JSONResponse({"error": "body needs an event name"}, status_code=400)
        if isinstance(body.get("records"), list):
            self.world.add(body["records"])
        now = int(body.get("timestamp") or time.time())
        payload = {
            "client_key": self.client[0],
            "event": body["event"],
            "create_time": now,
            "user_openid": body.get("user_openid", self.open_id),
            "content": json.dumps(body.get("content") or {}),
        }
        raw = json.dumps(payload, separators=(",", ":")).encode()
        secret = str(body.get("secret") or self.client[1])
        signature = hmac.new(secret.encode(), f"{now}.".encode() + raw, hashlib.sha256).hexdigest()
        url = body.get("url") or self.options.get("webhook_url")
        if not url:
            return JSONResponse({"error": "no webhook url"}, status_code=400)
        headers = {"content-type": "application/json", "tiktok-signature": f"t={now},s={signature}"}
        return await self.deliver_webhook(str(url), raw, headers, payload)
