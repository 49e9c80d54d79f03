"""Instagram Graph API (Instagram API with Instagram Login, read side): the user node, its
media, media insights, comments, replies and the long-lived token refresh.

Served like ``https://graph.instagram.com``: versioned paths (``/v22.0/...``, any version is
accepted) plus the unversioned ``/refresh_access_token``. Collections are ``{"data": [...],
"paging": {"cursors": {"before", "after"}, "next"}}`` (``next`` absent on the last page); times
are ISO 8601 with a ``+0000`` offset; errors are the Graph envelope ``{"error": {"message",
"type", "code", "error_subcode", "fbtrace_id"}}`` with HTTP 400 (500 for server errors). Every
response carries ``X-App-Usage`` and ``X-Business-Use-Case-Usage`` (percentages of the
Business Use Case budget); past 100 % calls answer code 80002 until the window turns.

Webhooks: ``POST /_sim/webhooks/comment`` with an interchange comment or reply (world ids, plus
``url`` and ``secret`` when the simulator was not started with ``webhook_url`` and
``app_secret``) adds it to the world and POSTs the Graph webhook notification of it to that URL,
signed as Meta signs it (``X-Hub-Signature-256: sha256=<HMAC-SHA256 of the body>``); ``POST
/_sim/webhooks/deliver`` signs and POSTs any ``payload`` as given. ``POST /_sim/webhooks/mention``
with an interchange mention (``user``, ``external_id``, ``text``, ``occurred_at``) and ``"in":
"comment"`` or ``"caption"`` keeps it as a comment or a caption on another account's media (a
comment on the creator's media named by ``external_post_id``) that @mentions the creator, and
POSTs the `mentions` notification of it (``value``: ``media_id`` and ``comment_id``, or
``media_id`` alone for a caption); the node then answers
``fields=mentioned_comment.comment_id(<id>){...}`` (IG Comment fields: ``id``, ``text``,
``timestamp``, ``like_count``, ``username``, ``from``, ``media``, whose ``owner`` is given only
for the creator's media) and ``fields=mentioned_media.media_id(<id>){...}`` (IG Media fields:
``id``, ``caption``, ``timestamp``, ``username``, ``media_type``, ``like_count``,
``comments_count``), an unknown id with the Graph "does not exist" error. All answer what the
receiver answered.

Insights: asking for any metric the media does not support, or one the platform retired,
fails the whole request (code 100). Instagram lists no likers: likes are counts only.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fanlens.kit.timeutil import parse_rfc3339
from fanlens.simulators.base import (
    Key,
    Reject,
    Simulator,
    Window,
    decode_token,
    encode_token,
    int_param,
    newest_first_page,
    sort_key,
)
from fanlens.simulators.ids import (
    INSTAGRAM_CREATOR_ID,
    INSTAGRAM_CREATOR_USERNAME,
    digest,
    instagram_comment_id,
    instagram_media_id,
    instagram_user_id,
    safe_username,
)
from fanlens.simulators.world import SimInteraction, SimPost

TOKEN_LIFETIME = 5_183_944  # seconds, about 60 days
# Retired for every API version (v18 in Dec 2023, v22 and from April 2025 all versions).
RETIRED = {
    "impressions",
    "plays",
    "clips_replays_count",
    "ig_reels_aggregated_all_plays_count",
    "engagement",
    "video_views",
    "carousel_album_impressions",
    "carousel_album_reach",
    "carousel_album_engagement",
    "carousel_album_saved",
    "carousel_album_video_views",
    "taps_forward",
    "taps_back",
    "exits",
}
COMMON = {"views", "reach", "saved", "shares", "likes", "comments", "total_interactions"}
SUPPORTED = {
    "FEED": COMMON | {"follows", "profile_visits", "profile_activity"},
    "REELS": COMMON | {"ig_reels_avg_watch_time", "ig_reels_video_view_total_time"},
}
TITLES = {
    "views": "Views",
    "reach": "Accounts reached",
    "saved": "Saved",
    "shares": "Shares",
    "likes": "Likes",
    "comments": "Comments",
    "total_interactions": "Interactions",
}
NESTED_REPLIES = 25  # replies shown inside a comment's `replies` field
REPLY_FIELDS = {"id", "text", "timestamp", "username", "like_count", "from", "parent_id"}
# `mentioned_comment.comment_id(<id>){<fields>}` and `mentioned_media.media_id(<id>){<fields>}`
MENTIONED = re.compile(r"mentioned_(comment|media)\.(?:comment|media)_id\(([^)]*)\)(?:\{(.*)\})?")
THROTTLE_LIMIT = 4_800  # calls per window for the simulated account
THROTTLE_WINDOW = 3_600


def error(
    code: int,
    message: str,
    *,
    subcode: int | None = None,
    kind: str = "OAuthException",
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {"message": message, "type": kind, "code": code}
    if subcode is not None:
        body["error_subcode"] = subcode
    body |= extra
    body["fbtrace_id"] = "A" + secrets.token_hex(5)
    status = 500 if code in (1, 2) else 400
    return JSONResponse({"error": body}, status_code=status)


def not_found(node: str) -> JSONResponse:
    message = (
        f"Unsupported get request. Object with ID '{node}' does not exist, cannot be loaded due "
        "to missing permissions, or does not support this operation."
    )
    return error(100, message, subcode=33, kind="GraphMethodException")


def graph_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+0000")


def top_fields(raw: str | None) -> set[str]:
    """The top-level names of a `fields` selection (nested `{...}` selections kept whole)."""
    names, depth, current = set(), 0, ""
    for char in raw or "":
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif char == "," and depth == 0:
            names.add(current.split("{")[0].split(".")[0].strip())
            current = ""
            continue
        current += char
    if current.strip():
        names.add(current.split("{")[0].split(".")[0].strip())
    return {n for n in names if n}


@dataclass
class Comment:
    id: str
    media_id: str
    created: datetime
    text: str
    user_id: str | None  # None: the creator
    parent_id: str | None = None


@dataclass
class Mention:
    """A comment or a caption on another account's media that @mentions the creator."""

    id: str  # the comment's id, or the media's for a caption
    media_id: str
    in_caption: bool
    user_id: str
    username: str
    text: str
    created: datetime


@dataclass
class Index:
    version: int
    media: dict[str, SimPost]  # by Instagram media id
    media_order: list[tuple[str, SimPost]]  # (media id, post), oldest first
    comments: dict[str, list[Comment]]  # top-level, by media id, oldest first
    replies: dict[str, list[Comment]]  # by parent comment id, oldest first
    by_id: dict[str, Comment]


def comment_key(comment: Comment) -> Key:
    return sort_key(comment.created, comment.id)


class InstagramSimulator(Simulator):
    platform = "instagram"
    api_prefix = "/{version}"

    def __init__(self, records: Any = (), **options: Any) -> None:
        super().__init__(records, **options)
        self.user_id = options.get("user_id", INSTAGRAM_CREATOR_ID)
        self.username = options.get("username", INSTAGRAM_CREATOR_USERNAME)
        self.tokens: set[str] | None = set(options["tokens"]) if "tokens" in options else None
        self.retired: set[str] = set(RETIRED) | set(options.get("retired_metrics", ()))
        self.usage = Window(int(options.get("call_limit", THROTTLE_LIMIT)), THROTTLE_WINDOW)
        self.refreshed: list[str] = []
        self.mentions: dict[str, Mention] = {}  # by comment id, or media id for captions
        self._index: Index | None = None

    def routes(self) -> list[Route]:
        return [
            Route("/_sim/webhooks/comment", self.webhook_comment, methods=["POST"]),
            Route("/_sim/webhooks/deliver", self.webhook_deliver, methods=["POST"]),
            Route("/_sim/webhooks/mention", self.webhook_mention, methods=["POST"]),
            Route("/refresh_access_token", self.guard("refresh", self.refresh), methods=["GET"]),
            self.api_route("/{node}", "node", self.node),
            self.api_route("/{node}/media", "media", self.media),
            self.api_route("/{node}/insights", "insights", self.insights),
            self.api_route("/{node}/comments", "comments", self.comments),
            self.api_route("/{node}/replies", "replies", self.replies),
        ]

    # -- errors, limits, credentials -----------------------------------------------------------
    def error_too_many(self, retry_after: int) -> Response:
        request_limit = "(#4) Application request limit reached"
        return error(4, request_limit, is_transient=True)

    def error_server(self, status: int) -> Response:
        message = "An unexpected error has occurred. Please retry your request later."
        response = error(2, message, is_transient=True)
        response.status_code = status
        return response

    def error_not_found_route(self) -> Response:
        return error(100, "Unknown path components", kind="OAuthException")

    def _token(self, request: Request) -> str | None:
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            return header[7:].strip() or None
        return request.query_params.get("access_token") or None

    def check_budget(self, request: Request, name: str) -> Response | None:
        if self.usage.consume(time.time()):
            return None
        message = (
            "(#80002) There have been too many calls to this Instagram account. "
            "Wait a bit and try again."
        )
        return error(80002, message, is_transient=True)

    def check_auth(self, request: Request, name: str) -> Response | None:
        token = self._token(request)
        if token is None:
            return error(190, "An active access token must be used to query information.")
        if self.faults.token == "expired":
            message = "Error validating access token: Session has expired."
            return error(190, message, subcode=463)
        if self.faults.token or (self.tokens is not None and token not in self.tokens):
            message = "Invalid OAuth access token - Cannot parse access token"
            return error(190, message, subcode=467)
        return None

    def rate_headers(self, request: Request) -> dict[str, str]:
        used = min(100, round(100 * self.usage.used / self.usage.limit))
        regain = 0
        if self.usage.used >= self.usage.limit:
            regain = max(1, round((self.usage.reset_at - time.time()) / 60))
        buc = {
            self.user_id: [
                {
                    "type": "instagram",
                    "call_count": used,
                    "total_cputime": used // 2,
                    "total_time": used // 2,
                    "estimated_time_to_regain_access": regain,
                }
            ]
        }
        app = {"call_count": used // 4, "total_time": used // 8, "total_cputime": used // 8}
        return {
            "X-App-Usage": json.dumps(app, separators=(",", ":")),
            "X-Business-Use-Case-Usage": json.dumps(buc, separators=(",", ":")),
        }

    def reset_usage(self) -> None:
        """Let the usage window turn (a test's stand-in for waiting it out)."""
        self.usage = Window(self.usage.limit, self.usage.seconds)

    def on_faults_posted(self, body: dict[str, Any]) -> None:
        if "call_limit" in body:
            self.usage = Window(int(body["call_limit"]), THROTTLE_WINDOW)
        if "retired_metrics" in body:
            self.retired = set(RETIRED) | set(body["retired_metrics"] or ())

    def state(self) -> dict[str, Any]:
        return {
            "call_limit": self.usage.limit,
            "retired_metrics": sorted(self.retired - RETIRED),
            "refreshed_tokens": len(self.refreshed),
        }

    def corrupt(self, item: dict[str, Any]) -> dict[str, Any]:
        item["timestamp"] = "not-a-time"
        item.pop("id", None)
        return item

    # -- the index -----------------------------------------------------------------------------
    def _idx(self) -> Index:
        world = self.world
        if self._index is not None and self._index.version == world.version:
            return self._index
        media = {instagram_media_id(p.external_post_id): p for p in world.posts.values()}
        order = sorted(media.items(), key=lambda kv: sort_key(kv[1].posted_at, kv[0]))
        comments: dict[str, list[Comment]] = {}
        by_id: dict[str, Comment] = {}
        for item in world.of_kind("comment"):
            if item.post_id in world.posts:
                comment = self._comment_of(item)
                comments.setdefault(comment.media_id, []).append(comment)
                by_id[comment.id] = comment
        replies: dict[str, list[Comment]] = {}
        for item in world.of_kind("reply"):
            if item.post_id in world.posts:
                parent = self._parent(item, by_id, comments)
                reply = self._comment_of(item, parent.id)
                replies.setdefault(parent.id, []).append(reply)
        for items in comments.values():
            items.sort(key=comment_key)
        self._index = Index(world.version, media, order, comments, replies, by_id)
        return self._index

    def _comment_of(self, item: SimInteraction, parent_id: str | None = None) -> Comment:
        return Comment(
            instagram_comment_id(item.key),
            instagram_media_id(item.post_id or ""),
            item.occurred_at,
            item.text or "",
            item.user_id,
            parent_id,
        )

    def _parent(
        self, item: SimInteraction, by_id: dict[str, Comment], comments: dict[str, list[Comment]]
    ) -> Comment:
        # A reply whose parent is not a known comment hangs on a comment by the creator (the
        # world does not carry it); connectors skip the creator's own comments.
        parent_id = instagram_comment_id(item.parent_id or f"parent-{item.post_id}")
        if parent_id not in by_id:
            post = self.world.posts[item.post_id or ""]
            created = post.posted_at + timedelta(seconds=30)
            owner = Comment(
                parent_id,
                instagram_media_id(post.external_post_id),
                min(created, item.occurred_at - timedelta(seconds=1)),
                "Thanks everyone! Ask me anything 👇",
                None,
            )
            comments.setdefault(owner.media_id, []).append(owner)
            by_id[parent_id] = owner
        return by_id[parent_id]

    # -- entities ------------------------------------------------------------------------------
    def media_type(self, media_id: str) -> tuple[str, str]:
        """(media_type, media_product_type), stable per media."""
        roll = digest(media_id, 1)[0] % 10
        if roll < 3:
            return "VIDEO", "REELS"
        return ("CAROUSEL_ALBUM" if roll < 5 else "IMAGE"), "FEED"

    def counts(self, post: SimPost) -> dict[str, int]:
        """The post's numbers as Instagram reports them (fields and insights)."""
        world = self.world
        likes = world.metric(post, "likes", "like")
        comments = world.metric(post, "comments", "comment", "reply")
        saved = world.metric(post, "saves", "save")
        shares = world.metric(post, "shares", "share")
        views = post.metrics.get("views", likes * 12 + 40)
        watch = 3_000 + int.from_bytes(digest(post.external_post_id, 2)) % 9_000
        return {
            "like_count": likes,
            "comments_count": comments,
            "views": views,
            "reach": int(views * 0.72),
            "saved": saved,
            "shares": shares,
            "likes": likes,
            "comments": comments,
            "total_interactions": likes + comments + saved + shares,
            "follows": int(views * 0.002),
            "profile_visits": int(views * 0.01),
            "profile_activity": int(views * 0.012),
            "ig_reels_avg_watch_time": watch,
            "ig_reels_video_view_total_time": watch * views,
        }

    def _media(self, media_id: str, post: SimPost, fields: set[str]) -> dict[str, Any]:
        media_type, product = self.media_type(media_id)
        shortcode = digest(media_id, 6).hex()
        kind = "reel" if product == "REELS" else "p"
        counts = self.counts(post)
        full: dict[str, Any] = {
            "id": media_id,
            "caption": post.caption or None,
            "media_type": media_type,
            "media_product_type": product,
            "permalink": f"https://www.instagram.com/{kind}/{shortcode}/",
            "shortcode": shortcode,
            "timestamp": graph_time(post.posted_at),
            "like_count": counts["like_count"],
            "comments_count": counts["comments_count"],
            "media_url": f"https://scontent.cdninstagram.com/v/{shortcode}.jpg",
            "username": self.username,
            "is_comment_enabled": True,
        }
        return {k: v for k, v in full.items() if (k in fields or k == "id") and v is not None}

    def _comment(
        self, comment: Comment, fields: set[str], request: Request | None = None
    ) -> dict[str, Any]:
        user = self.world.users.get(comment.user_id or "")
        if user is None:
            who = {"id": self.user_id, "username": self.username}
        else:
            who = {"id": instagram_user_id(user.external_user_id)}
            who["username"] = safe_username(user.username).lower()
        full: dict[str, Any] = {
            "id": comment.id,
            "text": comment.text,
            "timestamp": graph_time(comment.created),
            "username": who["username"],
            "like_count": digest(comment.id, 1)[0] % 7,
            "from": who,
            "hidden": False,
            "parent_id": comment.parent_id,
            "media": {"id": comment.media_id},
            "replies": self._nested_replies(comment, request) if "replies" in fields else None,
        }
        return {k: v for k, v in full.items() if (k in fields or k == "id") and v is not None}

    def _nested_replies(self, comment: Comment, request: Request | None) -> dict[str, Any] | None:
        """The `replies` field of a comment: the first page of its replies edge, with the
        edge's paging (its `next` points at /{comment-id}/replies)."""
        items = sorted(self._idx().replies.get(comment.id, []), key=comment_key)
        if not items or request is None:
            return None
        page, next_key = newest_first_page(items, comment_key, None, NESTED_REPLIES)
        tag = "r" + comment.id
        body: dict[str, Any] = {
            "data": [self._comment(r, REPLY_FIELDS) for r in page],
            "paging": {
                "cursors": {
                    "before": encode_token(comment_key(page[0]), tag),
                    "after": encode_token(comment_key(page[-1]), tag),
                }
            },
        }
        if next_key is not None:
            version = request.path_params.get("version", "v22.0")
            query = urlencode(
                {"fields": ",".join(sorted(REPLY_FIELDS)), "after": encode_token(next_key, tag)}
            )
            base = str(request.base_url).rstrip("/")
            body["paging"]["next"] = f"{base}/{version}/{comment.id}/replies?{query}"
        return body

    # -- paging --------------------------------------------------------------------------------
    def _paged(
        self,
        request: Request,
        items: list[Any],
        key: Any,
        render: Any,
        tag: str,
        default: int = 25,
        maximum: int = 100,
    ) -> Response:
        limit = int_param(request, "limit", default, 1, maximum)
        if limit is None:
            raise Reject(error(100, f"(#100) limit must be an integer between 1 and {maximum}"))
        after: Key | None = None
        if raw := request.query_params.get("after"):
            after = decode_token(raw, tag)
            if after is None:
                raise Reject(error(100, "(#100) The after cursor is invalid"))
        page, next_key = newest_first_page(items, key, after, limit)
        data = self.malform(request, [render(i) for i in page])
        body: dict[str, Any] = {"data": data}
        if page:
            body["paging"] = {
                "cursors": {
                    "before": encode_token(key(page[0]), tag),
                    "after": encode_token(key(page[-1]), tag),
                }
            }
            if next_key is not None:
                kept = [(k, v) for k, v in request.query_params.multi_items() if k != "after"]
                query = urlencode([*kept, ("after", encode_token(next_key, tag))])
                base = str(request.base_url).rstrip("/")
                body["paging"]["next"] = f"{base}{request.url.path}?{query}"
        return JSONResponse(body)

    # -- methods -------------------------------------------------------------------------------
    def _is_creator(self, node: str) -> bool:
        return node in (self.user_id, "me") and not self.faults.deleted_account

    def node(self, request: Request) -> Response:
        node = request.path_params["node"]
        if not self._is_creator(node):
            return not_found(node)
        if mentioned := MENTIONED.search(request.query_params.get("fields") or ""):
            return self._mentioned(*mentioned.groups())
        fields = top_fields(request.query_params.get("fields")) or {"id"}
        full = {
            "id": self.user_id,
            "user_id": self.user_id,
            "username": self.username,
            "name": "fanlens creator",
            "account_type": "BUSINESS",
            "media_count": len(self.world.posts),
            "followers_count": len(self.world.of_kind("follow")),
        }
        return JSONResponse({k: v for k, v in full.items() if k in fields or k == "id"})

    def media(self, request: Request) -> Response:
        node = request.path_params["node"]
        if not self._is_creator(node):
            return not_found(node)
        index = self._idx()
        fields = top_fields(request.query_params.get("fields")) or {"id"}

        def key(item: tuple[str, SimPost]) -> Key:
            return sort_key(item[1].posted_at, item[0])

        return self._paged(
            request, index.media_order, key, lambda i: self._media(i[0], i[1], fields), "media"
        )

    def insights(self, request: Request) -> Response:
        media_id = request.path_params["node"]
        post = self._idx().media.get(media_id)
        if post is None or self.faults.deleted_account:
            return not_found(media_id)
        names = [m.strip() for m in request.query_params.get("metric", "").split(",") if m.strip()]
        if not names:
            return error(100, "(#100) The parameter metric is required")
        _, product = self.media_type(media_id)
        for name in names:  # any one bad metric fails the whole request
            if name in self.retired:
                message = (
                    f"(#100) Starting from version 22 and above, the {name} metric is no longer "
                    "supported. Please refer to the documentation for the supported metrics."
                )
                return error(100, message)
            if name not in SUPPORTED[product]:
                return error(100, f"(#100) The metric {name} is not supported for this media type")
        counts = self.counts(post)
        data = [
            {
                "name": name,
                "period": "lifetime",
                "values": [{"value": counts[name]}],
                "title": TITLES.get(name, name.replace("_", " ").title()),
                "description": f"The {name.replace('_', ' ')} of this media.",
                "id": f"{media_id}/insights/{name}/lifetime",
            }
            for name in names
        ]
        return JSONResponse({"data": data})

    def comments(self, request: Request) -> Response:
        media_id = request.path_params["node"]
        index = self._idx()
        if media_id not in index.media or self.faults.deleted_account:
            return not_found(media_id)
        fields = top_fields(request.query_params.get("fields")) or {"id", "text", "timestamp"}
        items = index.comments.get(media_id, [])
        return self._paged(
            request,
            items,
            comment_key,
            lambda c: self._comment(c, fields, request),
            "c" + media_id,
            25,
            50,
        )

    def replies(self, request: Request) -> Response:
        comment_id = request.path_params["node"]
        index = self._idx()
        if comment_id not in index.by_id or self.faults.deleted_account:
            return not_found(comment_id)
        fields = top_fields(request.query_params.get("fields")) or {"id", "text", "timestamp"}
        items = sorted(index.replies.get(comment_id, []), key=comment_key)
        return self._paged(
            request,
            items,
            comment_key,
            lambda c: self._comment(c, fields),
            "r" + comment_id,
            25,
            50,
        )

    def refresh(self, request: Request) -> Response:
        if request.query_params.get("grant_type") != "ig_refresh_token":
            return error(100, "(#100) Unsupported grant_type, expected ig_refresh_token")
        new = "IGQV" + secrets.token_urlsafe(24)
        self.refreshed.append(new)
        if self.tokens is not None:
            self.tokens.add(new)
        return JSONResponse(
            {"access_token": new, "token_type": "bearer", "expires_in": TOKEN_LIFETIME}
        )

    # -- webhooks ------------------------------------------------------------------------------
    async def webhook_comment(self, request: Request) -> Response:
        body = await _json_object(request)
        nested = body.get("record")
        record: dict[str, Any] = nested if isinstance(nested, dict) else body
        if record.get("interaction_type") not in ("comment", "reply"):
            return JSONResponse({"error": "record must be a comment or reply"}, status_code=400)
        try:
            self.world.add([{"type": "interaction", "platform": self.platform, **record}])
        except (KeyError, TypeError, ValueError) as exc:
            return JSONResponse({"error": f"bad record: {exc!r}"}, status_code=400)
        with self.world.lock:
            comment = self._find(instagram_comment_id(str(record.get("external_id") or "")))
            if comment is None:
                return JSONResponse({"error": "record needs an external_id"}, status_code=400)
            payload = self.comment_notification(comment)
        return await self._deliver(body, payload)

    async def webhook_deliver(self, request: Request) -> Response:
        body = await _json_object(request)
        return await self._deliver(body, body.get("payload"))

    def comment_notification(self, comment: Comment) -> dict[str, Any]:
        """The `comments` field notification, as the Instagram webhooks reference shapes it."""
        who = self._comment(comment, {"from"})["from"]
        value: dict[str, Any] = {
            "from": who,
            "media": {
                "id": comment.media_id,
                "media_product_type": self.media_type(comment.media_id)[1],
            },
            "id": comment.id,
            "text": comment.text,
        }
        if comment.parent_id:
            value["parent_id"] = comment.parent_id
        change = {"field": "comments", "value": value}
        entry = {"id": self.user_id, "time": int(time.time()), "changes": [change]}
        return {"object": "instagram", "entry": [entry]}

    async def webhook_mention(self, request: Request) -> Response:
        body = await _json_object(request)
        nested = body.get("record")
        record: dict[str, Any] = nested if isinstance(nested, dict) else body
        try:
            mention = self._mention_of(record, in_caption=body.get("in") == "caption")
        except (KeyError, TypeError, ValueError) as exc:
            return JSONResponse({"error": f"bad record: {exc!r}"}, status_code=400)
        self.mentions[mention.id] = mention
        return await self._deliver(body, self.mention_notification(mention))

    def _mention_of(self, record: dict[str, Any], *, in_caption: bool) -> Mention:
        key = str(record["external_id"])
        post = record.get("external_post_id")  # a comment on the creator's media; else another's
        user = record["user"]
        when = record.get("occurred_at")
        return Mention(
            id=instagram_media_id(key) if in_caption else instagram_comment_id(key),
            media_id="" if in_caption else instagram_media_id(post or f"elsewhere-{key}"),
            in_caption=in_caption,
            user_id=instagram_user_id(str(user["external_user_id"])),
            username=safe_username(str(user.get("username") or user["external_user_id"])).lower(),
            text=str(record.get("text") or ""),
            created=parse_rfc3339(when) if when else datetime.now(UTC),
        )

    def mention_notification(self, mention: Mention) -> dict[str, Any]:
        """The `mentions` field notification: the ids only, as the webhooks reference shapes
        it (`media_id` and `comment_id` for a comment, `media_id` alone for a caption)."""
        if mention.in_caption:
            value = {"media_id": mention.id}
        else:
            value = {"media_id": mention.media_id, "comment_id": mention.id}
        change = {"field": "mentions", "value": value}
        entry = {"id": self.user_id, "time": int(time.time()), "changes": [change]}
        return {"object": "instagram", "entry": [entry]}

    def _mentioned(self, kind: str, wanted: str, raw_fields: str | None) -> Response:
        """The creator's node with `mentioned_comment` or `mentioned_media` expanded."""
        mention = self.mentions.get(wanted.strip())
        if mention is None or mention.in_caption != (kind == "media"):
            return not_found(wanted)
        fields = top_fields(raw_fields) or {"id"}
        common = {"id": mention.id, "timestamp": graph_time(mention.created)}
        full: dict[str, Any]
        if kind == "comment":
            full = {
                **common,
                "text": mention.text,
                "like_count": digest(mention.id, 1)[0] % 7,
                "username": mention.username,
                "from": {"id": mention.user_id, "username": mention.username},
                "media": self._mentioned_media(mention.media_id),
            }
        else:
            full = {
                **common,
                "caption": mention.text,
                "username": mention.username,
                "media_type": "IMAGE",
                "like_count": digest(mention.id, 1)[0] % 50,
                "comments_count": digest(mention.id, 2)[1] % 9,
            }
        found = {k: v for k, v in full.items() if k in fields or k == "id"}
        return JSONResponse({f"mentioned_{kind}": found, "id": self.user_id})

    def _mentioned_media(self, media_id: str) -> dict[str, Any]:
        """A mentioned comment's media: `owner` only when the creator made it, as documented."""
        if media_id in self._idx().media:
            return {"id": media_id, "owner": {"id": self.user_id}}
        return {"id": media_id}

    def _find(self, comment_id: str) -> Comment | None:
        index = self._idx()
        if comment_id in index.by_id:
            return index.by_id[comment_id]
        replies = (r for items in index.replies.values() for r in items)
        return next((r for r in replies if r.id == comment_id), None)

    async def _deliver(self, body: dict[str, Any], payload: Any) -> Response:
        url = body.get("url") or self.options.get("webhook_url")
        secret = body.get("secret") or self.options.get("app_secret")
        if not url or not secret:
            message = "no webhook url or app secret (start options or the request's url/secret)"
            return JSONResponse({"error": message}, status_code=400)
        raw = json.dumps(payload, separators=(",", ":")).encode()
        signature = hmac.new(str(secret).encode(), raw, hashlib.sha256).hexdigest()
        headers = {"content-type": "application/json", "x-hub-signature-256": f"sha256={signature}"}
        return await self.deliver_webhook(str(url), raw, headers, payload)


async def _json_object(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        body = None
    return body if isinstance(body, dict) else {}
