"""YouTube Data API v3 (read side): channels, playlistItems, videos, commentThreads, comments.

Served under ``/youtube/v3`` like ``https://www.googleapis.com/youtube/v3``. Shapes follow the
discovery document google-api-python-client ships (the tests validate against it); errors use
Google's error envelope; every call is charged to a daily quota (10 000 units, reset at midnight
Pacific time), and running out answers 403 ``quotaExceeded``. Likes are counts only.

Push notifications of new videos go through a WebSub hub served beside the API
(``POST /hub/subscribe``, ``POST /_sim/hub/publish``; see ``fanlens.simulators.websub``).
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fanlens.simulators.base import (
    Key,
    Reject,
    Simulator,
    decode_token,
    encode_token,
    int_param,
    iso_z,
    newest_first_page,
    oldest_first_page,
    sort_key,
)
from fanlens.simulators.ids import (
    YOUTUBE_CREATOR_CHANNEL_ID,
    YOUTUBE_CREATOR_HANDLE,
    digest,
    youtube_uploads_playlist,
)
from fanlens.simulators.websub import Hub, Video
from fanlens.simulators.world import EPOCH, SimInteraction, SimPost, SimUser

PACIFIC = ZoneInfo("America/Los_Angeles")
DAILY_QUOTA = 10_000
COSTS = {"channels": 1, "playlistItems": 1, "videos": 1, "commentThreads": 1, "comments": 1}
STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}
QUOTA_MESSAGE = (
    "The request cannot be completed because you have exceeded your "
    '<a href="/youtube/v3/getting-started#quota">quota</a>.'
)


def error(
    code: int,
    reason: str,
    message: str,
    domain: str = "global",
    location: str | None = None,
    location_type: str = "parameter",
) -> JSONResponse:
    """Google's JSON error envelope (``error.errors[]`` plus the newer ``status``)."""
    detail: dict[str, Any] = {"message": message, "domain": domain, "reason": reason}
    if location:
        detail |= {"location": location, "locationType": location_type}
    body = {"error": {"code": code, "message": message, "errors": [detail]}}
    body["error"]["status"] = STATUS.get(code, "UNKNOWN")
    return JSONResponse(body, status_code=code)


def etag(*parts: object) -> str:
    return base64.urlsafe_b64encode(digest("|".join(map(str, parts)), 20)).decode()[:27]


def thumbnails(url: str, sizes: tuple[tuple[str, int, int], ...]) -> dict[str, Any]:
    return {name: {"url": f"{url}/{name}.jpg", "width": w, "height": h} for name, w, h in sizes}


def three_figures(count: int) -> int:
    """A subscriber count as YouTube shows it publicly: cut (not rounded) to three
    significant figures, so 1 234 567 reads 1 230 000."""
    scale = 10 ** max(len(str(count)) - 3, 0)
    return count // scale * scale


VIDEO_THUMBS = (("default", 120, 90), ("medium", 320, 180), ("high", 480, 360))
CHANNEL_THUMBS = (("default", 88, 88), ("medium", 240, 240), ("high", 800, 800))


@dataclass(slots=True)
class Thread:
    """A top-level comment: a world comment, or the creator's own comment that replies hang on."""

    id: str
    post_id: str
    published: datetime
    text: str
    user_id: str | None  # None: written by the channel owner


@dataclass
class Index:
    version: int
    threads: dict[str, list[Thread]]  # by video, oldest first
    all_threads: list[Thread]
    thread_by_id: dict[str, Thread]
    replies: dict[str, list[SimInteraction]]  # by parent comment id, oldest first


def thread_key(thread: Thread) -> Key:
    return sort_key(thread.published, thread.id)


def comment_key(comment: SimInteraction) -> Key:
    return sort_key(comment.occurred_at, comment.key)


def post_key(post: SimPost) -> Key:
    return sort_key(post.posted_at, post.external_post_id)


class YouTubeSimulator(Simulator):
    platform = "youtube"
    api_prefix = "/youtube/v3"

    def __init__(self, records: Any = (), **options: Any) -> None:
        super().__init__(records, **options)
        self.channel_id = options.get("channel_id", YOUTUBE_CREATOR_CHANNEL_ID)
        self.handle = options.get("handle", YOUTUBE_CREATOR_HANDLE)
        self.api_keys: set[str] | None = set(options["api_keys"]) if "api_keys" in options else None
        self.quota_limit = DAILY_QUOTA
        self.quota_used = 0
        self.quota_day = self._today()
        self.costs = dict(COSTS)
        self.videos_asked: list[str] = []  # commentThreads.list videoId values, in order
        self.hub = Hub()
        self._index: Index | None = None

    def routes(self) -> list[Route]:
        return [
            self.api_route("/channels", "channels", self.channels),
            self.api_route("/playlistItems", "playlistItems", self.playlist_items),
            self.api_route("/videos", "videos", self.videos),
            self.api_route("/commentThreads", "commentThreads", self.comment_threads),
            self.api_route("/comments", "comments", self.comments),
            self.write_route("/comments", "comments.insert", self.insert_comment),
            Route("/hub/subscribe", self.hub.subscribe, methods=["POST"]),
            Route("/_sim/hub/publish", self.hub_publish, methods=["POST"]),
        ]

    async def hub_publish(self, request: Request) -> Response:
        """Push a notification of one of the channel's videos to the hub's subscribers."""
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return JSONResponse({"error": "the body is a JSON object"}, status_code=400)
        found = body.get("records")
        records: list[Any] = found if isinstance(found, list) else []
        self.world.add(records)
        posts = [r for r in records if isinstance(r, dict) and r.get("type") == "post"]
        video_id = body.get("video_id") or (posts[0]["external_post_id"] if posts else None)
        post = self.world.posts.get(str(video_id))
        if post is None:
            return JSONResponse({"error": f"no video {video_id!r} in the world"}, status_code=400)
        video = Video(post.external_post_id, self.channel_id, post.title, post.posted_at)
        secret = body.get("secret")
        return await self.hub.publish(
            video,
            deleted=bool(body.get("deleted")),
            secret=str(secret) if secret is not None else None,
            send=self.send_webhook,
        )

    def insert_comment(self, request: Request, body: dict[str, Any]) -> Response:
        """comments.insert: a reply to a comment (needs OAuth; an API key alone cannot write)."""
        if not request.headers.get("authorization", "").lower().startswith("bearer "):
            return error(401, "required", "Login Required.", location="Authorization",
                         location_type="header")  # fmt: skip
        found = body.get("snippet")
        snippet: dict[str, Any] = found if isinstance(found, dict) else {}
        parent, text = snippet.get("parentId"), snippet.get("textOriginal")
        if not parent or not text:
            return error(
                400, "invalidValue", "snippet.parentId and snippet.textOriginal are required."
            )
        entry = self.record_write("reply", parent_id=parent, text=text)
        comment_id = f"{parent}.sim{entry['n']}"
        return JSONResponse(
            {"kind": "youtube#comment", "id": comment_id,
             "snippet": {"parentId": parent, "textOriginal": text, "textDisplay": text}}
        )  # fmt: skip

    # -- errors, quota, credentials ------------------------------------------------------------
    def error_too_many(self, retry_after: int) -> Response:
        return error(429, "rateLimitExceeded", "Resource has been exhausted (e.g. check quota).")

    def error_server(self, status: int) -> Response:
        if status == 503:
            return error(503, "backendError", "The service is currently unavailable.")
        return error(status, "backendError", "Internal error encountered.")

    def error_not_found_route(self) -> Response:
        # Google's front end answers unknown URLs with an HTML page, not the JSON envelope.
        page = "<!DOCTYPE html><html lang=en><title>Error 404 (Not Found)!!1</title>"
        page += "<p><b>404.</b> <ins>That's an error.</ins><p>The requested URL was not found "
        page += "on this server. <ins>That's all we know.</ins>"
        return Response(page, status_code=404, media_type="text/html")

    def check_budget(self, request: Request, name: str) -> Response | None:
        if (refused := self._credentials(request)) is not None:
            return refused
        today = self._today()
        if today != self.quota_day:
            self.quota_day, self.quota_used = today, 0
        cost = self.costs.get(name, 1)
        if self.quota_used + cost > self.quota_limit:
            return error(403, "quotaExceeded", QUOTA_MESSAGE, domain="youtube.quota")
        self.quota_used += cost  # every call is charged, even one that then fails
        return None

    def _credentials(self, request: Request) -> Response | None:
        bearer = request.headers.get("authorization", "")
        key = request.query_params.get("key")
        if bearer.lower().startswith("bearer "):
            if self.faults.token:
                return error(
                    401,
                    "authError",
                    "Invalid Credentials",
                    location="Authorization",
                    location_type="header",
                )
            return None
        if not key:
            return error(
                403,
                "forbidden",
                "Method doesn't allow unregistered callers (callers without established "
                "identity). Please use API Key or other form of API consumer identity to call "
                "this API.",
            )
        if self.faults.token or (self.api_keys is not None and key not in self.api_keys):
            return error(400, "badRequest", "API key not valid. Please pass a valid API key.")
        return None

    def _today(self) -> str:
        return datetime.now(PACIFIC).date().isoformat()

    def on_faults_posted(self, body: dict[str, Any]) -> None:
        quota = body.get("quota")
        if isinstance(quota, dict):
            self.quota_limit = int(quota.get("limit", self.quota_limit))
            self.quota_used = int(quota.get("used", self.quota_used))
            self.costs.update(quota.get("costs", {}))

    def state(self) -> dict[str, Any]:
        return {
            "quota": {"limit": self.quota_limit, "used": self.quota_used, "day": self.quota_day},
            "videos_asked": list(self.videos_asked),
            "hub": self.hub.state(),
        }

    def corrupt(self, item: dict[str, Any]) -> dict[str, Any]:
        for part in ("snippet", "statistics", "contentDetails"):
            if part in item:
                item[part] = "malformed"
        return item

    # -- helpers -------------------------------------------------------------------------------
    def _parts(self, request: Request) -> set[str]:
        part = request.query_params.get("part")
        if not part:
            raise Reject(error(400, "required", "Required parameter: part", location="part"))
        return {p.strip() for p in part.split(",")}

    def _max_results(self, request: Request, default: int, high: int, low: int = 0) -> int:
        value = int_param(request, "maxResults", default, low, high)
        if value is None:
            raw = request.query_params.get("maxResults")
            message = f"Invalid value '{raw}'. Values must be within the range: [{low}, {high}]"
            raise Reject(error(400, "invalid", message, location="maxResults"))
        return value

    def _page_after(self, request: Request, list_name: str) -> Key | None:
        token = request.query_params.get("pageToken")
        if not token:
            return None
        key = decode_token(token, list_name)
        if key is None:
            message = "The request specifies an invalid page token."
            raise Reject(error(400, "invalidPageToken", message, domain="youtube.parameter"))
        return key

    def _envelope(
        self, kind: str, items: list[dict[str, Any]], total: int, per_page: int, token: str | None
    ) -> JSONResponse:
        body: dict[str, Any] = {"kind": f"youtube#{kind}", "etag": etag(kind, self.world.version)}
        if token:
            body["nextPageToken"] = token
        body["pageInfo"] = {"totalResults": total, "resultsPerPage": per_page}
        body["items"] = items
        return JSONResponse(body)

    def _index_now(self) -> Index:
        world = self.world
        if self._index is not None and self._index.version == world.version:
            return self._index
        threads: dict[str, list[Thread]] = {}
        for comment in world.of_kind("comment"):
            if comment.post_id in world.posts:
                threads.setdefault(comment.post_id, []).append(
                    Thread(
                        comment.key,
                        comment.post_id,
                        comment.occurred_at,
                        comment.text or "",
                        comment.user_id,
                    )
                )
        replies: dict[str, list[SimInteraction]] = {}
        for reply in world.of_kind("reply"):
            if reply.parent_id and reply.post_id in world.posts:
                replies.setdefault(reply.parent_id, []).append(reply)
        by_id = {t.id: t for items in threads.values() for t in items}
        self._add_owner_threads(replies, threads, by_id)
        for items in threads.values():
            items.sort(key=thread_key)
        everything = sorted(by_id.values(), key=thread_key)
        self._index = Index(world.version, threads, everything, by_id, replies)
        return self._index

    def _add_owner_threads(
        self,
        replies: dict[str, list[SimInteraction]],
        threads: dict[str, list[Thread]],
        by_id: dict[str, Thread],
    ) -> None:
        # A reply whose parent is not a known comment hangs on a comment by the channel owner
        # (the world does not carry it). Connectors skip the owner's own comments.
        for parent_id, items in replies.items():
            if parent_id in by_id:
                continue
            post = self.world.posts[items[0].post_id or ""]
            first = min(items[0].occurred_at, post.posted_at + timedelta(minutes=1))
            thread = Thread(
                parent_id,
                post.external_post_id,
                first - timedelta(seconds=1),
                "Thanks for watching! Questions below 👇",
                None,
            )
            threads.setdefault(post.external_post_id, []).append(thread)
            by_id[parent_id] = thread

    def _author(self, user_id: str | None) -> dict[str, Any]:
        user = self.world.users.get(user_id or "")
        if user is None:
            name, channel, avatar = self.handle, self.channel_id, None
        else:
            name, channel, avatar = "@" + user.username, user.external_user_id, user.avatar_url
        return {
            "authorDisplayName": name,
            "authorProfileImageUrl": avatar or f"https://yt3.ggpht.com/ytc/{channel}=s48",
            "authorChannelUrl": f"http://www.youtube.com/{name}",
            "authorChannelId": {"value": channel},
        }

    def _comment(
        self,
        cid: str,
        text: str,
        published: datetime,
        user_id: str | None,
        plain: bool,
        video_id: str | None = None,
        parent_id: str | None = None,
    ) -> dict[str, Any]:
        snippet: dict[str, Any] = {"channelId": self.channel_id}
        if video_id:
            snippet["videoId"] = video_id
        snippet["textDisplay"] = text if plain else html.escape(text)
        snippet["textOriginal"] = text
        if parent_id:
            snippet["parentId"] = parent_id
        snippet |= self._author(user_id)
        snippet |= {"canRate": True, "viewerRating": "none", "likeCount": 0}
        snippet |= {"publishedAt": iso_z(published, False), "updatedAt": iso_z(published, False)}
        return {"kind": "youtube#comment", "etag": etag(cid), "id": cid, "snippet": snippet}

    def _reply(self, reply: SimInteraction, plain: bool) -> dict[str, Any]:
        return self._comment(
            reply.key,
            reply.text or "",
            reply.occurred_at,
            reply.user_id,
            plain,
            parent_id=reply.parent_id,
        )

    # -- channels.list -------------------------------------------------------------------------
    def channels(self, request: Request) -> Response:
        parts = self._parts(request)
        params = request.query_params
        if "id" in params:
            ids = [i.strip() for i in params["id"].split(",") if i.strip()]
            if len(ids) > 50:
                message = "The request specifies an invalid filter parameter."
                return error(
                    400, "invalidFilters", message, domain="youtube.parameter", location="id"
                )
            wanted = list(dict.fromkeys(ids))
        elif "forHandle" in params:
            handle = params["forHandle"].lstrip("@").lower()
            wanted = [self.channel_id] if handle == self.handle.lstrip("@").lower() else []
        else:
            message = "No filter selected. Expected one of: forUsername, mine, managedByMe, id, "
            message += "forHandle, categoryId"
            return error(400, "missingRequiredParameter", message, domain="youtube.parameter")
        # The creator's channel, and the channels of the world's users (the commenters);
        # unknown ids are silently dropped.
        items = [item for i in wanted if (item := self._any_channel(i, parts)) is not None]
        if not items:
            # Zero matches: Google leaves `items` out entirely.
            body = {"kind": "youtube#channelListResponse", "etag": etag("channels", "none")}
            body["pageInfo"] = {"totalResults": 0, "resultsPerPage": 5}  # type: ignore[assignment]
            return JSONResponse(body)
        return self._envelope("channelListResponse", items, len(items), len(items), None)

    def _any_channel(self, channel_id: str, parts: set[str]) -> dict[str, Any] | None:
        if channel_id == self.channel_id:
            return None if self.faults.deleted_account else self._channel(parts)
        user = self.world.users.get(channel_id)
        return self._user_channel(user, parts) if user is not None else None

    def _channel(self, parts: set[str]) -> dict[str, Any]:
        world = self.world
        first = min((p.posted_at for p in world.posts.values()), default=EPOCH + timedelta(1))
        item: dict[str, Any] = {
            "kind": "youtube#channel",
            "etag": etag(self.channel_id),
            "id": self.channel_id,
        }
        title = "fanlens creator"
        if "snippet" in parts:
            item["snippet"] = {
                "title": title,
                "description": "Coffee recipes, simulated.",
                "customUrl": self.handle.lower(),
                "publishedAt": iso_z(first - timedelta(days=30), False),
                "thumbnails": thumbnails("https://yt3.ggpht.com/creator", CHANNEL_THUMBS),
                "localized": {"title": title, "description": "Coffee recipes, simulated."},
            }
        if "contentDetails" in parts:
            uploads = youtube_uploads_playlist(self.channel_id)
            item["contentDetails"] = {"relatedPlaylists": {"likes": "", "uploads": uploads}}
        if "statistics" in parts:
            views = sum(p.metrics.get("views", 0) for p in world.posts.values())
            item["statistics"] = {
                "viewCount": str(views),
                "subscriberCount": str(len(world.of_kind("follow"))),
                "hiddenSubscriberCount": False,
                "videoCount": str(len(world.posts)),
            }
        return item

    def _user_channel(self, user: SimUser, parts: set[str]) -> dict[str, Any]:
        """A commenter's channel: their name, bio and subscriber count as the world holds them."""
        cid = user.external_user_id
        item: dict[str, Any] = {"kind": "youtube#channel", "etag": etag(cid), "id": cid}
        title = user.display_name or user.username
        description = user.bio or ""
        if "snippet" in parts:
            pictures = thumbnails(f"https://yt3.ggpht.com/ytc/{cid}", CHANNEL_THUMBS)
            if user.avatar_url:  # the world holds one picture: every size shows it
                pictures = {size: {**p, "url": user.avatar_url} for size, p in pictures.items()}
            item["snippet"] = {
                "title": title,
                "description": description,
                "customUrl": "@" + user.username.lower(),
                "publishedAt": iso_z(EPOCH - timedelta(days=1 + digest(cid, 2)[0]), False),
                "thumbnails": pictures,
                "localized": {"title": title, "description": description},
            }
        if "contentDetails" in parts:
            uploads = youtube_uploads_playlist(cid)
            item["contentDetails"] = {"relatedPlaylists": {"likes": "", "uploads": uploads}}
        if "statistics" in parts:
            item["statistics"] = self._user_statistics(user)
        return item

    def _user_statistics(self, user: SimUser) -> dict[str, Any]:
        # A channel without a count in the world is one whose owner hides it: the API then
        # leaves subscriberCount out. Public counts are cut to three significant figures.
        stats: dict[str, Any] = {"viewCount": "0"}
        if user.follower_count is None:
            stats["hiddenSubscriberCount"] = True
        else:
            stats["subscriberCount"] = str(three_figures(user.follower_count))
            stats["hiddenSubscriberCount"] = False
        stats["videoCount"] = "0"
        return stats

    # -- playlistItems.list --------------------------------------------------------------------
    def playlist_items(self, request: Request) -> Response:
        parts = self._parts(request)
        playlist_id = request.query_params.get("playlistId")
        uploads = youtube_uploads_playlist(self.channel_id)
        if playlist_id != uploads or self.faults.deleted_account:
            message = "The playlist identified with the request's <code>playlistId</code> "
            message += "parameter cannot be found."
            return error(
                404,
                "playlistNotFound",
                message,
                domain="youtube.playlistItem",
                location="playlistId",
            )
        limit = self._max_results(request, 5, 50)
        after = self._page_after(request, "playlistItems")
        posts = sorted(self.world.posts.values(), key=post_key)
        page, last = newest_first_page(posts, post_key, after, limit)
        positions = {p.external_post_id: len(posts) - 1 - i for i, p in enumerate(posts)}
        items = [self._playlist_item(p, positions[p.external_post_id], parts) for p in page]
        token = encode_token(last, "playlistItems") if last else None
        return self._envelope(
            "playlistItemListResponse", self.malform(request, items), len(posts), limit, token
        )

    def _playlist_item(self, post: SimPost, position: int, parts: set[str]) -> dict[str, Any]:
        uploads = youtube_uploads_playlist(self.channel_id)
        item_id = base64.b64encode(f"{uploads}.{post.external_post_id}".encode()).decode()
        item: dict[str, Any] = {
            "kind": "youtube#playlistItem",
            "etag": etag(item_id),
            "id": item_id,
        }
        published = iso_z(post.posted_at, False)
        if "snippet" in parts:
            item["snippet"] = {
                "publishedAt": published,
                "channelId": self.channel_id,
                "title": post.title,
                "description": post.caption,
                "thumbnails": thumbnails(
                    f"https://i.ytimg.com/vi/{post.external_post_id}", VIDEO_THUMBS
                ),
                "channelTitle": "fanlens creator",
                "playlistId": uploads,
                "position": position,
                "resourceId": {"kind": "youtube#video", "videoId": post.external_post_id},
                "videoOwnerChannelTitle": "fanlens creator",
                "videoOwnerChannelId": self.channel_id,
            }
        if "contentDetails" in parts:
            item["contentDetails"] = {
                "videoId": post.external_post_id,
                "videoPublishedAt": published,
            }
        return item

    # -- videos.list ---------------------------------------------------------------------------
    def videos(self, request: Request) -> Response:
        parts = self._parts(request)
        raw = request.query_params.get("id")
        if raw is None:
            message = "No filter selected. Expected one of: chart, id, myRating"
            return error(400, "missingRequiredParameter", message, domain="youtube.parameter")
        ids = [i.strip() for i in raw.split(",") if i.strip()]
        if len(ids) > 50:
            message = "The request specifies an invalid filter parameter."
            return error(400, "invalidFilters", message, domain="youtube.parameter", location="id")
        found = (
            []
            if self.faults.deleted_account
            else [self.world.posts[i] for i in ids if i in self.world.posts]
        )
        items = [self._video(p, parts) for p in found]  # unknown ids are silently dropped
        return self._envelope(
            "videoListResponse", self.malform(request, items), len(items), len(items), None
        )

    def _video(self, post: SimPost, parts: set[str]) -> dict[str, Any]:
        vid = post.external_post_id
        item: dict[str, Any] = {"kind": "youtube#video", "etag": etag(vid, post.metrics), "id": vid}
        if "snippet" in parts:
            item["snippet"] = {
                "publishedAt": iso_z(post.posted_at, False),
                "channelId": self.channel_id,
                "title": post.title,
                "description": post.caption,
                "thumbnails": thumbnails(f"https://i.ytimg.com/vi/{vid}", VIDEO_THUMBS),
                "channelTitle": "fanlens creator",
                "tags": ["coffee"],
                "categoryId": "26",
                "liveBroadcastContent": "none",
                "localized": {"title": post.title, "description": post.caption},
            }
        if "contentDetails" in parts:
            item["contentDetails"] = {
                "duration": "PT1M",
                "dimension": "2d",
                "definition": "hd",
                "caption": "false",
                "licensedContent": False,
                "contentRating": {},
                "projection": "rectangular",
            }
        if "statistics" in parts:
            world = self.world
            item["statistics"] = {
                "viewCount": str(post.metrics.get("views", 0)),
                "likeCount": str(world.metric(post, "likes", "like")),
                "favoriteCount": "0",
                "commentCount": str(world.metric(post, "comments", "comment", "reply")),
            }
        return item

    # -- commentThreads.list -------------------------------------------------------------------
    def comment_threads(self, request: Request) -> Response:
        self._parts(request)
        params = request.query_params
        index = self._index_now()
        if "id" in params:
            wanted = [i.strip() for i in params["id"].split(",")]
            found = [index.thread_by_id[i] for i in wanted if i in index.thread_by_id]
            return self._threads_page(request, found, None, len(found))
        if "videoId" in params:
            video_id = params["videoId"]
            self.videos_asked.append(video_id)
            if video_id not in self.world.posts or self.faults.deleted_account:
                message = 'The video identified by the <code><a href="/youtube/v3/docs/'
                message += 'commentThreads/list#videoId">videoId</a></code> parameter could not '
                message += "be found."
                return error(
                    404,
                    "videoNotFound",
                    message,
                    domain="youtube.commentThread",
                    location="videoId",
                )
            threads = index.threads.get(video_id, [])
        elif "allThreadsRelatedToChannelId" in params:
            if params["allThreadsRelatedToChannelId"] != self.channel_id or (
                self.faults.deleted_account
            ):
                message = "The channel identified by the <code>allThreadsRelatedToChannelId"
                message += "</code> parameter could not be found."
                return error(
                    404,
                    "channelNotFound",
                    message,
                    domain="youtube.commentThread",
                    location="allThreadsRelatedToChannelId",
                )
            threads = index.all_threads
        else:
            message = "No filter selected. Expected one of: allThreadsRelatedToChannelId, "
            message += "channelId, id, videoId"
            return error(400, "missingRequiredParameter", message, domain="youtube.parameter")
        limit = self._max_results(request, 20, 100, low=1)
        page, last = newest_first_page(threads, thread_key, self._page_after(request, "ct"), limit)
        token = encode_token(last, "ct") if last else None
        return self._threads_page(request, page, token, limit)

    def _threads_page(
        self, request: Request, page: list[Thread], token: str | None, per_page: int
    ) -> Response:
        plain = request.query_params.get("textFormat") == "plainText"
        with_replies = "replies" in self._parts(request)
        items = [self._thread(t, plain, with_replies) for t in page]
        return self._envelope(
            "commentThreadListResponse", self.malform(request, items), len(items), per_page, token
        )

    def _thread(self, thread: Thread, plain: bool, with_replies: bool) -> dict[str, Any]:
        replies = self._index_now().replies.get(thread.id, [])
        top = self._comment(
            thread.id, thread.text, thread.published, thread.user_id, plain, video_id=thread.post_id
        )
        item: dict[str, Any] = {
            "kind": "youtube#commentThread",
            "etag": etag(thread.id, len(replies)),
            "id": thread.id,
        }
        item["snippet"] = {
            "channelId": self.channel_id,
            "videoId": thread.post_id,
            "topLevelComment": top,
            "canReply": True,
            "totalReplyCount": len(replies),
            "isPublic": True,
        }
        if with_replies and replies:
            # Like the real API, only some replies ride along; comments.list has them all.
            item["replies"] = {"comments": [self._reply(r, plain) for r in replies[:5]]}
        return item

    # -- comments.list -------------------------------------------------------------------------
    def comments(self, request: Request) -> Response:
        self._parts(request)
        params = request.query_params
        plain = params.get("textFormat") == "plainText"
        index = self._index_now()
        if "id" in params:
            wanted = {i.strip() for i in params["id"].split(",")}
            items = [
                self._reply(r, plain)
                for rs in index.replies.values()
                for r in rs
                if r.key in wanted
            ]
            return self._envelope("commentListResponse", items, len(items), len(items), None)
        parent = params.get("parentId")
        if parent is None:
            message = "No filter selected. Expected one of: id, parentId"
            return error(400, "missingRequiredParameter", message, domain="youtube.parameter")
        if parent not in index.thread_by_id or self.faults.deleted_account:
            message = "The comment identified by the <code>parentId</code> parameter could not "
            message += "be found."
            return error(
                404, "commentNotFound", message, domain="youtube.comment", location="parentId"
            )
        limit = self._max_results(request, 20, 100, low=1)
        replies = index.replies.get(parent, [])
        page, last = oldest_first_page(replies, comment_key, self._page_after(request, "c"), limit)
        items = [self._reply(r, plain) for r in page]
        token = encode_token(last, "c") if last else None
        return self._envelope(
            "commentListResponse", self.malform(request, items), len(items), limit, token
        )
