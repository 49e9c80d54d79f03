"""Bluesky AppView XRPC (read side): identity, profiles, author feed, threads, likes, reposts,
quotes and followers.

Served under ``/xrpc/<NSID>`` like ``https://public.api.bsky.app/xrpc``. Shapes follow the
lexicons (the tests parse responses into the `atproto` package's models); errors are
``{"error": Name, "message": text}``; every response carries ``RateLimit-*`` headers (3000 requests
per 5 minutes). Public data needs no token; a token, when sent, is checked.

The account's PDS is served under the same ``/xrpc``: ``com.atproto.server.createSession``
(the creator's handle or DID and the app password the simulator was started with, option
``app_password``), ``com.atproto.repo.createRecord`` (posts only, recorded in ``/_sim/state``
``writes``; a record key already taken answers 400 ``InvalidRequest``) and
``com.atproto.repo.getRecord`` for the records written here. Every fan's repo is served there
too: ``com.atproto.repo.listRecords`` lists a fan's likes, reposts, follows and posts (newest
record key first, ``reverse`` for oldest first; the cursor is the last record key), and
``GET /<did>`` answers the fan's DID document as the PLC directory does, naming this server as
the PDS.

Jetstream's ``/subscribe`` WebSocket is served beside it (fanlens.simulators.jetstream), and
a relay's firehose, ``/xrpc/com.atproto.sync.subscribeRepos``, streams the same events as
CBOR frames (fanlens.simulators.firehose).

The world's comments are replies in the post's thread; a mention is a reply whose text starts
with the creator's handle and carries a mention facet for the creator's DID.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from fanlens.simulators.base import (
    Key,
    Reject,
    Simulator,
    Window,
    decode_token,
    encode_token,
    iso_z,
    newest_first_page,
    sort_key,
)
from fanlens.simulators.firehose import Firehose
from fanlens.simulators.ids import (
    BLUESKY_CREATOR_DID,
    BLUESKY_CREATOR_HANDLE,
    bluesky_cid,
    bluesky_did,
    bluesky_handle_label,
    bluesky_post_uri,
    bluesky_rkey,
    digest,
)
from fanlens.simulators.jetstream import Jetstream
from fanlens.simulators.world import (
    EPOCH,
    SimInteraction,
    SimPost,
    SimUser,
    interaction_identity,
)

REPLY_KINDS = ("comment", "reply", "mention")
DEFAULT_ERROR = {
    400: "InvalidRequest",
    401: "AuthenticationRequired",
    403: "Forbidden",
    404: "XRPCNotSupported",
    429: "RateLimitExceeded",
    500: "InternalServerError",
    501: "MethodNotImplemented",
    502: "UpstreamFailure",
    503: "NotEnoughResources",
    504: "UpstreamTimeout",
}
DEFAULT_MESSAGE = {
    429: "Rate Limit Exceeded",
    500: "Internal Server Error",
    502: "Upstream Failure",
    503: "Not Enough Resources",
    504: "Upstream Timeout",
}


JETSTREAM_COLLECTIONS = {
    "like": "app.bsky.feed.like",
    "repost": "app.bsky.feed.repost",
    "follow": "app.bsky.graph.follow",
    "comment": "app.bsky.feed.post",
    "reply": "app.bsky.feed.post",
    "mention": "app.bsky.feed.post",
    "quote": "app.bsky.feed.post",
}


def error(status: int, name: str, message: str) -> JSONResponse:
    return JSONResponse({"error": name, "message": message}, status_code=status)


def invalid(message: str) -> Reject:
    return Reject(error(400, "InvalidRequest", message))


@dataclass
class Actor:
    did: str
    handle: str
    display_name: str | None
    user: SimUser | None  # None for the creator


@dataclass
class FanPost:
    """A post by a fan: a reply (comment/mention) under a creator post, or a quote of one."""

    uri: str
    interaction: SimInteraction
    root_uri: str
    parent_uri: str | None  # replies only
    children: list[FanPost] = field(default_factory=list)


@dataclass
class Index:
    version: int
    actors: dict[str, Actor]  # by DID and by handle
    posts: dict[str, SimPost]  # creator posts by at-URI
    replies: dict[str, list[FanPost]]  # by parent at-URI, oldest first
    fan_posts: dict[str, FanPost]
    quotes: dict[str, list[FanPost]]  # by quoted at-URI, oldest first


def interaction_key(item: SimInteraction) -> Key:
    return sort_key(item.occurred_at, item.key)


def post_key(post: SimPost) -> Key:
    return sort_key(post.posted_at, post.external_post_id)


def fan_post_key(post: FanPost) -> Key:
    return interaction_key(post.interaction)


class BlueskySimulator(Simulator):
    platform = "bluesky"
    api_prefix = "/xrpc"

    def __init__(self, records: Any = (), **options: Any) -> None:
        super().__init__(records, **options)
        self.did = options.get("did", BLUESKY_CREATOR_DID)
        self.handle = options.get("handle", BLUESKY_CREATOR_HANDLE)
        self.window = Window(limit=3000, seconds=300)
        self._index: Index | None = None
        self.app_password = options.get("app_password", "sim-app-pass-word")
        self.sessions: set[str] = set()  # access tokens handed out by createSession
        log = options.get("jetstream_log")  # a file that keeps the stream across restarts
        self.jetstream = Jetstream(
            self.jetstream_commit,
            self.jetstream_delete,
            self.jetstream_stream,
            Path(log) if log else None,
        )
        self.firehose = Firehose()
        self.jetstream.also.append(self.firehose.publish)  # one emit, both streams

    def stream_routes(self) -> list[BaseRoute]:
        return [*self.jetstream.routes(), *self.firehose.routes()]

    def routes(self) -> list[Route]:
        methods = {
            "com.atproto.identity.resolveHandle": self.resolve_handle,
            "app.bsky.actor.getProfile": self.get_profile,
            "app.bsky.actor.getProfiles": self.get_profiles,
            "app.bsky.feed.getAuthorFeed": self.get_author_feed,
            "app.bsky.feed.getPostThread": self.get_post_thread,
            "app.bsky.feed.getLikes": self.get_likes,
            "app.bsky.feed.getRepostedBy": self.get_reposted_by,
            "app.bsky.feed.getQuotes": self.get_quotes,
            "app.bsky.graph.getFollowers": self.get_followers,
        }
        reads = [self.api_route(f"/{nsid}", nsid, handler) for nsid, handler in methods.items()]
        writes = {
            "com.atproto.server.createSession": self.create_session,
            "com.atproto.repo.createRecord": self.create_record,
        }
        pds = [self.write_route(f"/{nsid}", nsid, handler) for nsid, handler in writes.items()]
        get_record = "com.atproto.repo.getRecord"
        pds.append(self.api_route(f"/{get_record}", get_record, self.get_record))
        list_records = "com.atproto.repo.listRecords"
        pds.append(self.api_route(f"/{list_records}", list_records, self.list_records))
        plc = Route("/did:plc:{id}", self.did_document, methods=["GET"])
        return [*reads, *pds, plc]

    # -- the PDS: session and records ------------------------------------------------------------
    def create_session(self, request: Request, body: dict[str, Any]) -> Response:
        identifier, password = body.get("identifier"), body.get("password")
        if not isinstance(identifier, str) or not isinstance(password, str):
            raise invalid('Input must have the properties "identifier" and "password"')
        if identifier.lower() not in (self.handle, self.did) or password != self.app_password:
            return error(401, "AuthenticationRequired", "Invalid identifier or password")
        token = f"sim-access-{len(self.sessions) + 1}-{digest(password).hex()}"
        self.sessions.add(token)
        return JSONResponse(
            {"accessJwt": token, "refreshJwt": token.replace("access", "refresh"),
             "handle": self.handle, "did": self.did, "active": True}
        )  # fmt: skip

    def _session(self, request: Request) -> Response | None:
        header = request.headers.get("authorization", "")
        if header[7:].strip() in self.sessions and header.lower().startswith("bearer "):
            return None
        return error(401, "AuthenticationRequired", "Authentication Required")

    def create_record(self, request: Request, body: dict[str, Any]) -> Response:
        if (denied := self._session(request)) is not None:
            return denied
        record, rkey = body.get("record"), body.get("rkey") or f"sim{len(self.writes) + 1:010d}"
        if body.get("repo") not in (self.did, self.handle):
            raise invalid("Invalid repo: the session's account only")
        if body.get("collection") != "app.bsky.feed.post" or not isinstance(record, dict):
            raise invalid("Invalid collection or record (this simulator writes posts only)")
        if record.get("$type") != "app.bsky.feed.post" or not record.get("createdAt"):
            raise invalid("Invalid app.bsky.feed.post record: $type and createdAt required")
        uri = f"at://{self.did}/app.bsky.feed.post/{rkey}"
        if any(w["uri"] == uri for w in self.writes):
            raise invalid(f"Record already exists: {uri}")
        reply = record.get("reply") or {}
        self._check_ref(reply.get("parent"))
        self._check_ref(reply.get("root"))
        self.record_write("post", uri=uri, rkey=rkey, record=record)
        return JSONResponse({"uri": uri, "cid": bluesky_cid(uri), "validationStatus": "valid"})

    def _check_ref(self, ref: Any) -> None:
        """A reply's strong refs must name a post this AppView serves, with its cid."""
        if ref is None:
            return
        index = self._idx()
        uri = ref.get("uri") if isinstance(ref, dict) else None
        if uri not in index.posts and uri not in index.fan_posts:
            raise invalid(f"Invalid reply reference: {uri}")
        if ref.get("cid") != bluesky_cid(uri):
            raise invalid(f"Invalid reply reference: wrong cid for {uri}")

    def get_record(self, request: Request) -> Response:
        params = request.query_params
        uri = f"at://{params.get('repo')}/{params.get('collection')}/{params.get('rkey')}"
        for write in self.writes:
            if write["uri"] == uri:
                return JSONResponse({"uri": uri, "cid": bluesky_cid(uri), "value": write["record"]})
        return error(400, "RecordNotFound", f"Could not locate record: {uri}")

    # -- errors, limits, credentials -----------------------------------------------------------
    def error_too_many(self, retry_after: int) -> Response:
        response = error(429, "RateLimitExceeded", "Rate Limit Exceeded")
        response.headers["RateLimit-Remaining"] = "0"
        return response

    def error_server(self, status: int) -> Response:
        name = DEFAULT_ERROR.get(status, "InternalServerError")
        return error(status, name, DEFAULT_MESSAGE.get(status, "Internal Server Error"))

    def error_not_found_route(self) -> Response:
        return error(404, "XRPCNotSupported", "XRPCNotSupported")

    def check_budget(self, request: Request, name: str) -> Response | None:
        now = time.time()
        if self.window.consume(now):
            return None
        response = self.error_too_many(0)
        response.headers["Retry-After"] = str(max(1, int(self.window.reset_at - now)))
        return response

    def check_auth(self, request: Request, name: str) -> Response | None:
        # The AppView serves public data without a token; a token that is sent is verified.
        if not request.headers.get("authorization", "").lower().startswith("bearer "):
            return None
        if self.faults.token == "expired":
            return error(400, "ExpiredToken", "Token has expired")
        if self.faults.token:
            return error(401, "InvalidToken", "Token could not be verified")
        return None

    def rate_headers(self, request: Request) -> dict[str, str]:
        window = self.window
        return {
            "RateLimit-Limit": str(window.limit),
            "RateLimit-Remaining": str(window.remaining),
            "RateLimit-Reset": str(int(window.reset_at)),
            "RateLimit-Policy": f"{window.limit};w={window.seconds}",
        }

    def on_faults_posted(self, body: dict[str, Any]) -> None:
        budget = body.get("budget")
        if isinstance(budget, dict):
            self.window = Window(int(budget.get("limit", 3000)), int(budget.get("window", 300)))

    def state(self) -> dict[str, Any]:
        return {"budget": {"limit": self.window.limit, "used": self.window.used}}

    def corrupt(self, item: dict[str, Any]) -> dict[str, Any]:
        target = item.get("post", item)
        if "actor" in target:  # a like
            target["actor"].pop("did", None)
            target["createdAt"] = "not-a-date"
        elif "author" in target:  # a post view
            target.pop("author")
            target.pop("cid", None)
        else:  # a profile view
            target.pop("did", None)
        return item

    # -- the index -----------------------------------------------------------------------------
    def _idx(self) -> Index:
        world = self.world
        if self._index is not None and self._index.version == world.version:
            return self._index
        actors: dict[str, Actor] = {}
        creator = Actor(self.did, self.handle, "fanlens creator", None)
        actors[creator.did] = actors[creator.handle] = creator
        for user in world.users.values():
            actor = self._actor_for(user, actors)
            actors[actor.did] = actors[actor.handle] = actor
        posts = {bluesky_post_uri(self.did, p.external_post_id): p for p in world.posts.values()}
        by_post_id = {p.external_post_id: uri for uri, p in posts.items()}
        fan_posts: dict[str, FanPost] = {}
        replies: dict[str, list[FanPost]] = {}
        for item in world.of_kind(*REPLY_KINDS):
            root = by_post_id.get(item.post_id or "")
            if root is None:
                continue
            uri = bluesky_post_uri(bluesky_did(item.user_id), item.key)
            fan_posts[uri] = FanPost(uri, item, root, root)
        by_key = {fan_post.interaction.key: uri for uri, fan_post in fan_posts.items()}
        for fan_post in fan_posts.values():  # a reply to a reply nests under it
            parent = fan_post.interaction.parent_id
            if parent and parent in by_key:
                fan_post.parent_uri = by_key[parent]
        for fan_post in sorted(fan_posts.values(), key=fan_post_key):
            replies.setdefault(fan_post.parent_uri or fan_post.root_uri, []).append(fan_post)
        quotes: dict[str, list[FanPost]] = {}
        for item in world.of_kind("quote"):
            quoted = by_post_id.get(item.post_id or "")
            if quoted is not None:
                uri = bluesky_post_uri(bluesky_did(item.user_id), item.key)
                fan_posts[uri] = FanPost(uri, item, quoted, None)
                quotes.setdefault(quoted, []).append(fan_posts[uri])
        self._index = Index(world.version, actors, posts, replies, fan_posts, quotes)
        return self._index

    def _actor_for(self, user: SimUser, taken: dict[str, Actor]) -> Actor:
        did = bluesky_did(user.external_user_id)
        handle = f"{bluesky_handle_label(user.username)}.bsky.social"
        if handle in taken and taken[handle].did != did:
            handle = f"{bluesky_handle_label(user.username)}-{did.rsplit(':', 1)[-1]}.bsky.social"
        return Actor(did, handle, user.display_name, user)

    def _actor(self, request: Request, name: str = "actor") -> Actor:
        value = request.query_params.get(name)
        if not value:
            raise invalid(f'Error: Params must have the property "{name}"')
        actor = self._idx().actors.get(value if value.startswith("did:") else value.lower())
        if actor is None or (actor.user is None and self.faults.deleted_account):
            raise invalid("Profile not found")
        return actor

    def _limit(self, request: Request) -> int:
        raw = request.query_params.get("limit")
        if raw is None:
            return 50
        try:
            value = int(raw)
        except ValueError:
            raise invalid("Error: limit must be an integer") from None
        if value > 100:
            raise invalid("Error: limit can not be greater than 100")
        if value < 1:
            raise invalid("Error: limit can not be less than 1")
        return value

    def _cursor(self, request: Request, list_name: str) -> Key | None:
        cursor = request.query_params.get("cursor")
        if not cursor:
            return None
        key = decode_token(cursor, list_name)
        if key is None:
            raise invalid("Malformed cursor")
        return key

    # -- views ---------------------------------------------------------------------------------
    def _created(self, actor: Actor) -> str:
        offset = int.from_bytes(digest(actor.did, 3)) % (400 * 86_400)
        return iso_z(EPOCH - timedelta(days=30, seconds=offset))

    def _basic(self, actor: Actor) -> dict[str, Any]:
        view: dict[str, Any] = {"did": actor.did, "handle": actor.handle}
        if actor.display_name:
            view["displayName"] = actor.display_name
        avatar = actor.user.avatar_url if actor.user else None
        view["avatar"] = avatar or f"https://cdn.bsky.app/img/avatar/plain/{actor.did}/a@jpeg"
        view |= {"viewer": {"muted": False, "blockedBy": False}, "labels": []}
        view["createdAt"] = self._created(actor)
        return view

    def _profile(self, actor: Actor) -> dict[str, Any]:
        view = self._basic(actor)
        bio = actor.user.bio if actor.user else "Coffee recipes, simulated."
        if bio:
            view["description"] = bio
        view["indexedAt"] = view["createdAt"]
        return view

    def _detailed(self, actor: Actor) -> dict[str, Any]:
        view = self._profile(actor)
        if actor.user is None:
            followers = len(self.world.of_kind("follow"))
            posts = len(self.world.posts)
        else:
            followers = actor.user.follower_count or 0
            posts = 0
        view |= {"followersCount": followers, "followsCount": 0, "postsCount": posts}
        view["associated"] = {"lists": 0, "feedgens": 0, "starterPacks": 0, "labeler": False}
        return view

    def _creator(self) -> Actor:
        return self._idx().actors[self.did]

    def _post_view(self, uri: str, post: SimPost) -> dict[str, Any]:
        world = self.world
        record = {
            "$type": "app.bsky.feed.post",
            "text": post.caption,
            "createdAt": iso_z(post.posted_at),
            "langs": ["en"],
        }
        return {
            "uri": uri,
            "cid": bluesky_cid(uri),
            "author": self._basic(self._creator()),
            "record": record,
            "replyCount": world.metric(post, "comments", *REPLY_KINDS),
            "repostCount": world.metric(post, "shares", "repost"),
            "likeCount": world.metric(post, "likes", "like"),
            "quoteCount": world.metric(post, "quotes", "quote"),
            "indexedAt": iso_z(post.posted_at + timedelta(seconds=1)),
            "viewer": {},
            "labels": [],
        }

    def _fan_post_view(self, fan_post: FanPost) -> dict[str, Any]:
        item = fan_post.interaction
        author = self._idx().actors[bluesky_did(item.user_id)]
        text = item.text or ""
        record: dict[str, Any] = {
            "$type": "app.bsky.feed.post",
            "createdAt": iso_z(item.occurred_at),
        }
        if item.kind == "mention":
            prefix = f"@{self.handle} "
            text = prefix + text
            record["facets"] = [
                {
                    "index": {"byteStart": 0, "byteEnd": len(prefix.encode()) - 1},
                    "features": [{"$type": "app.bsky.richtext.facet#mention", "did": self.did}],
                }
            ]
        record["text"] = text
        view: dict[str, Any] = {
            "uri": fan_post.uri,
            "cid": bluesky_cid(fan_post.uri),
            "author": self._basic(author),
            "record": record,
        }
        root = {"uri": fan_post.root_uri, "cid": bluesky_cid(fan_post.root_uri)}
        if fan_post.parent_uri:
            parent = {"uri": fan_post.parent_uri, "cid": bluesky_cid(fan_post.parent_uri)}
            record["reply"] = {"root": root, "parent": parent}
        else:  # a quote
            record["embed"] = {"$type": "app.bsky.embed.record", "record": root}
            view["embed"] = {
                "$type": "app.bsky.embed.record#view",
                "record": self._view_record(fan_post.root_uri),
            }
        view |= {
            "replyCount": len(self._idx().replies.get(fan_post.uri, [])),
            "repostCount": 0,
            "likeCount": 0,
            "quoteCount": 0,
        }
        view |= {"indexedAt": iso_z(item.occurred_at), "viewer": {}, "labels": []}
        return view

    def _view_record(self, uri: str) -> dict[str, Any]:
        post = self._idx().posts.get(uri)
        if post is None:
            return {"$type": "app.bsky.embed.record#viewNotFound", "uri": uri, "notFound": True}
        full = self._post_view(uri, post)
        return {
            "$type": "app.bsky.embed.record#viewRecord",
            "uri": uri,
            "cid": full["cid"],
            "author": full["author"],
            "value": full["record"],
            "indexedAt": full["indexedAt"],
        }

    # -- methods -------------------------------------------------------------------------------
    def resolve_handle(self, request: Request) -> Response:
        handle = request.query_params.get("handle")
        if not handle:
            raise invalid('Error: Params must have the property "handle"')
        actor = self._idx().actors.get(handle.lower())
        if actor is None or (actor.user is None and self.faults.deleted_account):
            raise invalid("Unable to resolve handle")
        return JSONResponse({"did": actor.did})

    def get_profile(self, request: Request) -> Response:
        return JSONResponse(self._detailed(self._actor(request)))

    def get_profiles(self, request: Request) -> Response:
        wanted = request.query_params.getlist("actors")
        if not wanted:
            raise invalid('Error: Params must have the property "actors"')
        if len(wanted) > 25:
            raise invalid("Error: actors must not have more than 25 elements")
        actors = self._idx().actors
        profiles = []
        for value in wanted:  # unknown actors are left out, not an error
            actor = actors.get(value if value.startswith("did:") else value.lower())
            if actor is not None and not (actor.user is None and self.faults.deleted_account):
                profiles.append(self._detailed(actor))
        return JSONResponse({"profiles": profiles})

    def get_author_feed(self, request: Request) -> Response:
        actor = self._actor(request)
        limit, after = self._limit(request), self._cursor(request, "feed")
        posts = sorted(self.world.posts.values(), key=post_key) if actor.user is None else []
        page, last = newest_first_page(posts, post_key, after, limit)
        feed = [
            {"post": self._post_view(bluesky_post_uri(self.did, p.external_post_id), p)}
            for p in page
        ]
        body: dict[str, Any] = {"feed": self.malform(request, feed)}
        if last:
            body["cursor"] = encode_token(last, "feed")
        return JSONResponse(body)

    def get_post_thread(self, request: Request) -> Response:
        uri = request.query_params.get("uri")
        if not uri:
            raise invalid('Error: Params must have the property "uri"')
        depth = self._bounded(request, "depth", 6)
        height = self._bounded(request, "parentHeight", 80)
        index = self._idx()
        if uri in index.posts and not self.faults.deleted_account:
            return JSONResponse({"thread": self._thread(uri, depth, None, 0)})
        fan_post = index.fan_posts.get(uri)
        if fan_post is None or self.faults.deleted_account:
            return error(400, "NotFound", f"Post not found: {uri}")
        return JSONResponse({"thread": self._thread(uri, depth, fan_post.parent_uri, height)})

    def _bounded(self, request: Request, name: str, default: int) -> int:
        raw = request.query_params.get(name, str(default))
        if not raw.isdigit() or int(raw) > 1000:
            raise invalid(f"Error: {name} can not be greater than 1000")
        return int(raw)

    def _thread(self, uri: str, depth: int, parent: str | None, height: int) -> dict[str, Any]:
        index = self._idx()
        post = index.posts.get(uri)
        view = self._post_view(uri, post) if post else self._fan_post_view(index.fan_posts[uri])
        node: dict[str, Any] = {"$type": "app.bsky.feed.defs#threadViewPost", "post": view}
        if parent and height > 0:
            up = index.fan_posts.get(parent)
            node["parent"] = self._thread(parent, 0, up.parent_uri if up else None, height - 1)
        if depth > 0:
            node["replies"] = [
                self._thread(child.uri, depth - 1, None, 0) for child in index.replies.get(uri, [])
            ]
        return node

    def _subject_list(
        self, request: Request, kind: str, list_name: str
    ) -> tuple[str, list[SimInteraction], Key | None]:
        uri = request.query_params.get("uri")
        if not uri:
            raise invalid('Error: Params must have the property "uri"')
        limit, after = self._limit(request), self._cursor(request, list_name)
        post = self._idx().posts.get(uri)
        if post is None or self.faults.deleted_account:
            return uri, [], None  # an unknown post has no likes: 200 with an empty list
        items = self.world.of_kind(kind, post_id=post.external_post_id)
        page, last = newest_first_page(items, interaction_key, after, limit)
        return uri, page, last

    def _with_cursor(self, body: dict[str, Any], last: Key | None, name: str) -> JSONResponse:
        if last:
            body["cursor"] = encode_token(last, name)
        return JSONResponse(body)

    def get_likes(self, request: Request) -> Response:
        uri, page, last = self._subject_list(request, "like", "likes")
        actors = self._idx().actors
        likes = [
            {
                "indexedAt": iso_z(like.occurred_at + timedelta(seconds=1)),
                "createdAt": iso_z(like.occurred_at),
                "actor": self._profile(actors[bluesky_did(like.user_id)]),
            }
            for like in page
        ]
        body = {"uri": uri, "cid": bluesky_cid(uri), "likes": self.malform(request, likes)}
        return self._with_cursor(body, last, "likes")

    def get_reposted_by(self, request: Request) -> Response:
        uri, page, last = self._subject_list(request, "repost", "reposts")
        actors = self._idx().actors
        profiles = [self._profile(actors[bluesky_did(item.user_id)]) for item in page]
        body = {"uri": uri, "cid": bluesky_cid(uri), "repostedBy": self.malform(request, profiles)}
        return self._with_cursor(body, last, "reposts")

    def get_quotes(self, request: Request) -> Response:
        uri = request.query_params.get("uri")
        if not uri:
            raise invalid('Error: Params must have the property "uri"')
        limit, after = self._limit(request), self._cursor(request, "quotes")
        quotes = [] if self.faults.deleted_account else self._idx().quotes.get(uri, [])
        page, last = newest_first_page(quotes, fan_post_key, after, limit)
        posts = [self._fan_post_view(q) for q in page]
        body = {"uri": uri, "cid": bluesky_cid(uri), "posts": self.malform(request, posts)}
        return self._with_cursor(body, last, "quotes")

    def get_followers(self, request: Request) -> Response:
        actor = self._actor(request)
        limit, after = self._limit(request), self._cursor(request, "followers")
        follows = self.world.of_kind("follow") if actor.user is None else []
        page, last = newest_first_page(follows, interaction_key, after, limit)
        actors = self._idx().actors
        followers = [self._profile(actors[bluesky_did(f.user_id)]) for f in page]
        body = {"subject": self._profile(actor), "followers": self.malform(request, followers)}
        return self._with_cursor(body, last, "followers")

    # -- Jetstream -----------------------------------------------------------------------------
    def jetstream_commit(self, record: dict[str, Any]) -> dict[str, Any]:
        """Add an interaction to the world and build the create commit of the fan's record."""
        if record["interaction_type"] not in JETSTREAM_COLLECTIONS:
            raise ValueError(f"no Bluesky record for a {record['interaction_type']!r}")
        self.world.add([{**record, "platform": "bluesky"}])
        item = self.world.interactions[interaction_identity(record)]
        return self._create(item)

    def jetstream_stream(self, record: dict[str, Any]) -> dict[str, Any]:
        """The create commit of an interaction's record, the world left as it is (so the
        AppView's indexes are not rebuilt for every event of a load)."""
        if record["interaction_type"] not in JETSTREAM_COLLECTIONS:
            raise ValueError(f"no Bluesky record for a {record['interaction_type']!r}")
        return self._create(self.world.interaction_of(record), kept=False)

    def _create(self, item: SimInteraction, kept: bool = True) -> dict[str, Any]:
        did, collection, rkey, body = self._fan_record(item, kept)
        commit = {
            "rev": rkey,
            "operation": "create",
            "collection": collection,
            "rkey": rkey,
            "record": body,
            "cid": bluesky_cid(f"at://{did}/{collection}/{rkey}"),
        }
        return {"did": did, "kind": "commit", "commit": commit}

    def jetstream_delete(self, record: dict[str, Any]) -> dict[str, Any]:
        """Take an interaction out of the world and build the delete commit of its record."""
        item = self.world.interactions.get(interaction_identity(record))
        if item is None or item.kind not in JETSTREAM_COLLECTIONS:
            raise ValueError("no such Bluesky interaction in the world")
        did, collection, rkey, _ = self._fan_record(item)
        self.world.remove(item.key)
        commit = {"rev": f"{rkey}-delete", "operation": "delete", "collection": collection}
        return {"did": did, "kind": "commit", "commit": commit | {"rkey": rkey}}

    def _fan_record(
        self, item: SimInteraction, kept: bool = True
    ) -> tuple[str, str, str, dict[str, Any]]:
        """(repo DID, collection, record key, record) of an interaction in its fan's repo
        (`kept`: in the world)."""
        did = bluesky_did(item.user_id)
        created = iso_z(item.occurred_at)
        collection = JETSTREAM_COLLECTIONS[item.kind]
        if collection == "app.bsky.feed.post":
            uri = bluesky_post_uri(did, item.key)
            fan_post = self._idx().fan_posts.get(uri) if kept else self._fan_post_of(uri, item)
            if fan_post is None:
                raise ValueError(f"the post {item.post_id!r} is not in the world")
            return did, collection, uri.rsplit("/", 1)[-1], self._fan_post_view(fan_post)["record"]
        if item.kind == "follow":
            body: dict[str, Any] = {"$type": collection, "subject": self.did, "createdAt": created}
        else:
            subject = bluesky_post_uri(self.did, item.post_id or "")
            body = {
                "$type": collection,
                "subject": {"uri": subject, "cid": bluesky_cid(subject)},
                "createdAt": created,
            }
        return did, collection, bluesky_rkey(item.key), body

    def _fan_post_of(self, uri: str, item: SimInteraction) -> FanPost | None:
        """A fan's reply to (or quote of) one of the creator's posts that is not in the world."""
        if item.post_id not in self.world.posts or item.parent_id:
            return None
        root = bluesky_post_uri(self.did, item.post_id)
        return FanPost(uri, item, root, root if item.kind != "quote" else None)

    # -- fans' repos ---------------------------------------------------------------------------
    def list_records(self, request: Request) -> Response:
        repo, collection = request.query_params.get("repo"), request.query_params.get("collection")
        if not repo or not collection:
            raise invalid('Error: Params must have the properties "repo" and "collection"')
        actor = self._idx().actors.get(repo if repo.startswith("did:") else repo.lower())
        if actor is None:
            raise invalid(f"Could not find repo: {repo}")
        limit, cursor = self._limit(request), request.query_params.get("cursor")
        reverse = request.query_params.get("reverse") == "true"
        records = sorted(self._repo(actor, collection), key=lambda r: r[0], reverse=not reverse)
        if cursor:  # the record key the previous page ended with
            records = [r for r in records if (r[0] > cursor if reverse else r[0] < cursor)]
        page = records[:limit]
        body: dict[str, Any] = {"records": [r[1] for r in page]}
        if len(records) > limit:
            body["cursor"] = page[-1][0]
        return JSONResponse(body)

    def _repo(self, actor: Actor, collection: str) -> list[tuple[str, dict[str, Any]]]:
        """(record key, listed record) of the actor's records in `collection`."""
        if actor.user is None:
            return []  # the creator's own repo holds no fan activity
        found = []
        for item in list(self.world.interactions.values()):
            if item.user_id != actor.user.external_user_id:
                continue
            if JETSTREAM_COLLECTIONS.get(item.kind) != collection:
                continue
            try:
                did, _, rkey, value = self._fan_record(item)
            except ValueError:
                continue  # a reply under a post the world does not hold
            uri = f"at://{did}/{collection}/{rkey}"
            found.append((rkey, {"uri": uri, "cid": bluesky_cid(uri), "value": value}))
        return found

    def did_document(self, request: Request) -> Response:
        """The DID document the PLC directory would answer: this server is every fan's PDS."""
        did = f"did:plc:{request.path_params['id']}"
        actor = self._idx().actors.get(did)
        if actor is None:
            return JSONResponse({"message": f"DID not registered: {did}"}, status_code=404)
        endpoint = str(request.base_url).rstrip("/")
        return JSONResponse(
            {
                "@context": ["https://www.w3.org/ns/did/v1"],
                "id": did,
                "alsoKnownAs": [f"at://{actor.handle}"],
                "verificationMethod": [],
                "service": [
                    {
                        "id": "#atproto_pds",
                        "type": "AtprotoPersonalDataServer",
                        "serviceEndpoint": endpoint,
                    }
                ],
            }
        )
