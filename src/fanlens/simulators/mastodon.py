"""Mastodon REST API (read side): account lookup, statuses, context, favourites, boosts,
followers and notifications.

Served at the instance root (``/api/v1/...``). Ids are numeric strings ordered by time
(snowflakes); lists page through the ``Link`` header (``max_id`` / ``since_id`` / ``min_id``);
responses carry ``X-RateLimit-*`` headers (300 requests per 5 minutes, paging requests 300 per
15 minutes); errors are ``{"error": text}``. Notifications need a bearer token.

The world's comments are replies to the creator's statuses (in the context, and as ``mention``
notifications); a world mention is a status that mentions the creator without replying
(notifications only). Likes are favourites, reposts are boosts (reblogs).

`GET /api/v2/instance` names the streaming server (`configuration.urls.streaming`: this same
server, as ws://), which serves the streaming API (fanlens.simulators.mastodon_streaming).
Control: `POST /_sim/mastodon/emit` with `{"records": [interchange interactions]}` adds them to
the world (so a sync sees them too) and streams the `notification` of each; `{"edits": [{"id",
"text", "edited_at"}]}` edits fan statuses (the REST API shows the edit too) and streams their
`status.update`; `{"deletes": [status id]}` streams `delete`; `{"events": [{"event",
"payload"}]}` streams raw events. It answers the events sent.
"""

from __future__ import annotations

import html
import itertools
import json
import re
import time
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from fanlens.simulators.base import Reject, Simulator, Window, iso_z
from fanlens.simulators.ids import (
    MASTODON_CREATOR_ID,
    MASTODON_CREATOR_USERNAME,
    digest,
    mastodon_account_id,
    mastodon_snowflake,
    mastodon_status_id,
    safe_username,
)
from fanlens.simulators.mastodon_streaming import Streaming
from fanlens.simulators.world import (
    EPOCH,
    SimInteraction,
    SimPost,
    SimUser,
    interaction_identity,
    parse_time,
)

REPLY_KINDS = ("comment", "reply")
NOTIFY_KINDS = {"like": "favourite", "repost": "reblog", "follow": "follow"}
PAGING = ("max_id", "since_id", "min_id")


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


NOT_FOUND = "Record not found"
URL = re.compile(r"https?://[^\s<>\"']+")


@dataclass
class Account:
    id: str
    username: str
    user: SimUser | None  # None for the creator


@dataclass
class Status:
    id: int
    account: Account
    created: datetime
    post: SimPost | None = None  # a creator status
    interaction: SimInteraction | None = None  # a fan status
    in_reply_to: int | None = None


@dataclass
class Entry:
    """A row of a paged list: its (internal) id and what it shows."""

    id: int
    interaction: SimInteraction
    kind: str = ""


@dataclass
class Index:
    version: int
    accounts: dict[str, Account]  # by id
    by_acct: dict[str, Account]
    statuses: dict[int, Status]
    by_post: dict[str, Status]
    children: dict[int, list[Status]]  # replies by parent status id, oldest first
    authored: dict[str, list[Status]]  # statuses by account id, oldest first
    favourites: dict[int, list[Entry]]
    reblogs: dict[int, list[Entry]]
    followers: list[Entry]
    notifications: list[Entry]


def entries(items: list[SimInteraction], salt: str, kind: str = "") -> list[Entry]:
    found = [Entry(int(mastodon_snowflake(i.occurred_at, salt + i.key)), i, kind) for i in items]
    found.sort(key=lambda e: (e.id, e.interaction.key))
    for before, entry in itertools.pairwise(found):
        if entry.id <= before.id:  # two in the same millisecond with the same hash bits
            entry.id = before.id + 1
    return found


class MastodonSimulator(Simulator):
    platform = "mastodon"
    api_prefix = "/api/v1"

    def __init__(self, records: Any = (), **options: Any) -> None:
        super().__init__(records, **options)
        self.creator_id = options.get("account_id", MASTODON_CREATOR_ID)
        self.username = options.get("username", MASTODON_CREATOR_USERNAME)
        self.tokens: set[str] | None = set(options["tokens"]) if "tokens" in options else None
        self.limits = {"limit": 300, "window": 300, "paging_limit": 300, "paging_window": 900}
        self.buckets: dict[tuple[str, str], Window] = {}
        self._index: Index | None = None
        self.streaming = Streaming(self._streaming_token_ok)
        self.edits: dict[int, tuple[str, datetime]] = {}  # status id -> (text, edited_at)
        self.streaming_url: str | None = options.get("streaming_url")  # None: this server
        self.instance_v2 = bool(options.get("instance_v2", True))  # False: a server before 4.0

    def stream_routes(self) -> list[BaseRoute]:
        return [
            Route("/api/v2/instance", self.instance, methods=["GET"]),
            Route("/_sim/mastodon/emit", self.emit_endpoint, methods=["POST"]),
            *self.streaming.routes(),
        ]

    def routes(self) -> list[Route]:
        return [
            self.api_route("/accounts/lookup", "accounts/lookup", self.lookup),
            self.api_route("/accounts/{id}", "accounts", self.account),
            self.api_route("/accounts/{id}/statuses", "accounts/statuses", self.statuses),
            self.api_route("/accounts/{id}/followers", "accounts/followers", self.followers),
            self.api_route("/statuses/{id}/context", "statuses/context", self.context),
            self.api_route(
                "/statuses/{id}/favourited_by", "statuses/favourited_by", self.favourited_by
            ),
            self.api_route(
                "/statuses/{id}/reblogged_by", "statuses/reblogged_by", self.reblogged_by
            ),
            self.api_route("/notifications", "notifications", self.notifications),
            self.write_route("/statuses", "statuses.create", self.create_status),
        ]

    def create_status(self, request: Request, body: dict[str, Any]) -> Response:
        """POST /api/v1/statuses. Like Mastodon, a repeated Idempotency-Key answers the status
        made the first time instead of posting again."""
        if self._token(request) is None:
            return error(401, "The access token is invalid")
        text = str(body.get("status") or "").strip()
        if not text:
            return error(422, "Validation failed: Text can't be blank")
        key = request.headers.get("idempotency-key")
        for done in self.writes:
            if key and done.get("idempotency_key") == key:
                return JSONResponse(done["status"])
        entry = self.record_write(
            "status", text=text, in_reply_to_id=body.get("in_reply_to_id"),
            visibility=body.get("visibility", "public"), idempotency_key=key,
        )  # fmt: skip
        status = {"id": f"9{entry['n']:08d}", "content": f"<p>{text}</p>",
                  "in_reply_to_id": body.get("in_reply_to_id"),
                  "visibility": entry["visibility"]}  # fmt: skip
        entry["status"] = status
        return JSONResponse(status)

    # -- errors, limits, credentials -----------------------------------------------------------
    def error_too_many(self, retry_after: int) -> Response:
        response = error(429, "Too many requests")
        response.headers["X-RateLimit-Remaining"] = "0"
        return response

    def error_server(self, status: int) -> Response:
        if status == 503:
            message = "There was a temporary problem serving your request, please try again"
            return error(503, message)
        return error(status, "Internal Server Error")

    def error_not_found_route(self) -> Response:
        return error(404, "Not Found")

    def _token(self, request: Request) -> str | None:
        header = request.headers.get("authorization", "")
        return header[7:].strip() or None if header.lower().startswith("bearer ") else None

    def check_budget(self, request: Request, name: str) -> Response | None:
        who = self._token(request) or (request.client.host if request.client else "?")
        paging = any(p in request.query_params for p in PAGING)
        now = time.time()
        buckets = [self._bucket(who, "api", now)]
        if paging:
            buckets.append(self._bucket(who, "paging", now))
        allowed = all([bucket.consume(now) for bucket in buckets])
        request.state.bucket = min(buckets, key=lambda b: b.remaining)
        if allowed:
            return None
        response = self.error_too_many(0)
        retry = max(1, int(request.state.bucket.reset_at - now))
        response.headers["Retry-After"] = str(retry)
        return response

    def _bucket(self, who: str, kind: str, now: float) -> Window:
        bucket = self.buckets.get((who, kind))
        if bucket is None:
            prefix = "paging_" if kind == "paging" else ""
            limit, window = self.limits[prefix + "limit"], self.limits[prefix + "window"]
            bucket = self.buckets[(who, kind)] = Window(limit, window)
        return bucket

    def rate_headers(self, request: Request) -> dict[str, str]:
        bucket: Window | None = getattr(request.state, "bucket", None)
        if bucket is None:
            return {}
        reset = datetime.fromtimestamp(bucket.reset_at, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return {
            "X-RateLimit-Limit": str(bucket.limit),
            "X-RateLimit-Remaining": str(bucket.remaining),
            "X-RateLimit-Reset": reset,
        }

    def check_auth(self, request: Request, name: str) -> Response | None:
        token = self._token(request)
        if token is None:
            if name == "notifications":
                return error(401, "The access token is invalid")
            return None
        if self.faults.token == "expired":
            return error(401, "The access token expired")
        if self.faults.token == "revoked":
            return error(401, "The access token was revoked")
        if self.faults.token or (self.tokens is not None and token not in self.tokens):
            return error(401, "The access token is invalid")
        if name == "notifications" and self.faults.deleted_account:
            return error(401, "The access token is invalid")
        return None

    def _streaming_token_ok(self, token: str | None) -> bool:
        if token is None or self.faults.token or self.faults.deleted_account:
            return False
        return self.tokens is None or token in self.tokens

    def on_faults_posted(self, body: dict[str, Any]) -> None:
        budget = body.get("budget")
        if isinstance(budget, dict):
            self.limits |= {k: int(v) for k, v in budget.items() if k in self.limits}
            self.buckets = {}

    def state(self) -> dict[str, Any]:
        return {"budget": dict(self.limits)}

    def corrupt(self, item: dict[str, Any]) -> dict[str, Any]:
        if "created_at" in item and "acct" not in item:
            item["created_at"] = "not-a-date"
            item["account"] = None
        else:
            item["id"] = None
            item.pop("acct", None)
        return item

    # -- the index -----------------------------------------------------------------------------
    def _idx(self) -> Index:
        world = self.world
        if self._index is not None and self._index.version == world.version:
            return self._index
        creator = Account(self.creator_id, self.username, None)
        accounts = {creator.id: creator}
        by_acct = {creator.username.lower(): creator}
        for user in world.users.values():
            account = Account(
                mastodon_account_id(user.external_user_id), safe_username(user.username), user
            )
            if account.username.lower() in by_acct:
                account.username = f"{account.username}_{account.id[-6:]}"
            accounts[account.id] = by_acct[account.username.lower()] = account
        statuses: dict[int, Status] = {}
        by_post: dict[str, Status] = {}
        for post in world.posts.values():
            sid = int(mastodon_status_id(post.external_post_id, post.posted_at))
            statuses[sid] = by_post[post.external_post_id] = Status(
                sid, creator, post.posted_at, post=post
            )
        fan_statuses = self._fan_statuses(by_post, accounts)
        statuses |= {s.id: s for s in fan_statuses}
        children: dict[int, list[Status]] = {}
        authored: dict[str, list[Status]] = {}
        for status in sorted(statuses.values(), key=lambda s: s.id):
            if status.in_reply_to is not None:
                children.setdefault(status.in_reply_to, []).append(status)
            authored.setdefault(status.account.id, []).append(status)
        self._index = Index(
            world.version,
            accounts,
            by_acct,
            statuses,
            by_post,
            children,
            authored,
            *self._lists(by_post),
        )
        return self._index

    def _fan_statuses(
        self, by_post: dict[str, Status], accounts: dict[str, Account]
    ) -> list[Status]:
        found: list[Status] = []
        by_key: dict[str, int] = {}
        items = self.world.of_kind(*REPLY_KINDS, "mention")
        for item in items:
            post = by_post.get(item.post_id or "")
            if post is None and item.kind != "mention":
                continue
            sid = int(mastodon_status_id(item.key, item.occurred_at))
            by_key[item.key] = sid
            account = accounts[mastodon_account_id(item.user_id)]
            reply_to = post.id if post is not None and item.kind != "mention" else None
            found.append(
                Status(sid, account, item.occurred_at, interaction=item, in_reply_to=reply_to)
            )
        for status in found:  # a reply to a fan's comment hangs under that comment
            parent = status.interaction.parent_id if status.interaction else None
            if parent in by_key and status.in_reply_to is not None:
                status.in_reply_to = by_key[parent]
        return found

    def _lists(self, by_post: dict[str, Status]) -> tuple[Any, ...]:
        world = self.world
        favourites: dict[int, list[Entry]] = {}
        reblogs: dict[int, list[Entry]] = {}
        for post_id, status in by_post.items():
            favourites[status.id] = entries(world.of_kind("like", post_id=post_id), "f")
            reblogs[status.id] = entries(world.of_kind("repost", post_id=post_id), "r")
        followers = entries(world.of_kind("follow"), "follow")
        notes: list[Entry] = []
        for kind, note_type in NOTIFY_KINDS.items():
            items = [i for i in world.of_kind(kind) if kind == "follow" or i.post_id in by_post]
            notes.extend(entries(items, "n", note_type))
        mentions = [
            i
            for i in world.of_kind(*REPLY_KINDS, "mention")
            if i.kind == "mention" or i.post_id in by_post
        ]
        notes.extend(entries(mentions, "n", "mention"))
        notes.sort(key=lambda e: e.id)
        return favourites, reblogs, followers, notes

    def _account_or_404(self, request: Request) -> Account:
        account = self._idx().accounts.get(request.path_params["id"])
        if account is None or (account.user is None and self.faults.deleted_account):
            raise Reject(error(404, NOT_FOUND))
        return account

    def _status_or_404(self, request: Request) -> Status:
        raw = request.path_params["id"]
        status = self._idx().statuses.get(int(raw)) if raw.isdigit() else None
        if status is None or (status.account.user is None and self.faults.deleted_account):
            raise Reject(error(404, NOT_FOUND))
        return status

    # -- entities ------------------------------------------------------------------------------
    def _base(self, request: Request) -> str:
        return str(request.base_url).rstrip("/")

    def _account(self, request: Request, account: Account) -> dict[str, Any]:
        base, user = self._base(request), account.user
        created = EPOCH - timedelta(seconds=int.from_bytes(digest(account.id, 3)) % 10**7)
        index = self._idx()
        if user is None:
            followers, statuses = len(index.followers), len(self.world.posts)
            name, note = "fanlens creator", "<p>Coffee recipes, simulated.</p>"
        else:
            followers = user.follower_count or 0
            statuses = len(index.authored.get(account.id, []))
            name, note = user.display_name or "", f"<p>{linkify(user.bio or '')}</p>"
        avatar = (user.avatar_url if user else None) or f"{base}/avatars/{account.id}.png"
        own = index.authored.get(account.id, [])
        return {
            "id": account.id,
            "username": account.username,
            "acct": account.username,
            "display_name": name,
            "locked": False,
            "bot": False,
            "discoverable": True,
            "group": False,
            "created_at": iso_z(created.replace(hour=0, minute=0, second=0)),
            "note": note,
            "url": f"{base}/@{account.username}",
            "uri": f"{base}/users/{account.username}",
            "avatar": avatar,
            "avatar_static": avatar,
            "header": f"{base}/headers/original/missing.png",
            "header_static": f"{base}/headers/original/missing.png",
            "followers_count": followers,
            "following_count": 0,
            "statuses_count": statuses,
            "last_status_at": own[-1].created.date().isoformat() if own else None,
            "emojis": [],
            "fields": [
                {"name": html.escape(k), "value": linkify(v), "verified_at": None}
                for k, v in ((user.profile_fields or {}) if user else {}).items()
            ],
        }

    def _status(self, request: Request, status: Status) -> dict[str, Any]:
        base, index = self._base(request), self._idx()
        account = status.account
        parent = index.statuses.get(status.in_reply_to) if status.in_reply_to else None
        mentions: list[dict[str, Any]] = []
        edited: datetime | None = None
        if status.post is not None:
            post, world = status.post, self.world
            text = post.caption
            counts = (
                world.metric(post, "comments", *REPLY_KINDS),
                world.metric(post, "shares", "repost"),
                world.metric(post, "likes", "like"),
            )
        else:
            item = status.interaction
            assert item is not None
            text, edited = self.edits.get(status.id, (item.text or "", None))
            counts = (len(index.children.get(status.id, [])), 0, 0)
            if parent is not None or item.kind == "mention":
                target = parent.account if parent is not None else index.accounts[self.creator_id]
                mentions = [
                    {
                        "id": target.id,
                        "username": target.username,
                        "url": f"{base}/@{target.username}",
                        "acct": target.username,
                    }
                ]
                text = f"@{target.username} {text}"
        sid = str(status.id)
        body = {
            "id": sid,
            "created_at": iso_z(status.created),
            "in_reply_to_id": str(parent.id) if parent else None,
            "in_reply_to_account_id": parent.account.id if parent else None,
            "sensitive": False,
            "spoiler_text": "",
            "visibility": "public",
            "language": "en",
            "uri": f"{base}/users/{account.username}/statuses/{sid}",
            "url": f"{base}/@{account.username}/{sid}",
            "replies_count": counts[0],
            "reblogs_count": counts[1],
            "favourites_count": counts[2],
            "quotes_count": 0,
            "edited_at": iso_z(edited) if edited else None,
            "content": f"<p>{html.escape(text)}</p>",
            "reblog": None,
            "application": {"name": "Web", "website": None},
            "account": self._account(request, account),
            "media_attachments": [],
            "mentions": mentions,
            "tags": [],
            "emojis": [],
            "card": None,
            "poll": None,
        }
        if self._token(request):  # viewer flags come only with a user token
            body |= {
                "favourited": False,
                "reblogged": False,
                "muted": False,
                "bookmarked": False,
                "filtered": [],
            }
            if account.user is None:
                body["pinned"] = False
        return body

    # -- paging --------------------------------------------------------------------------------
    def _page(
        self, request: Request, ids: list[int], default: int, maximum: int
    ) -> tuple[list[int], dict[str, str]]:
        """Newest first, by max_id / since_id / min_id, with the Link header for the page."""
        limit = self._limit(request, default, maximum)
        params = request.query_params
        lo, hi = 0, len(ids)
        if (max_id := _int(params.get("max_id"))) is not None:
            hi = bisect_left(ids, max_id)
        if (since_id := _int(params.get("since_id"))) is not None:
            lo = max(lo, bisect_right(ids, since_id))
        if (min_id := _int(params.get("min_id"))) is not None:
            lo = max(lo, bisect_right(ids, min_id))
            page = ids[lo : min(hi, lo + limit)][::-1]  # the page just after min_id
        else:
            page = ids[max(lo, hi - limit) : hi][::-1]
        return page, self._link(request, page, limit)

    def _limit(self, request: Request, default: int, maximum: int) -> int:
        value = _int(request.query_params.get("limit"))
        return default if not value or value < 1 else min(value, maximum)

    def _link(self, request: Request, page: list[int], limit: int) -> dict[str, str]:
        if not page:
            return {}
        kept = [(k, v) for k, v in request.query_params.multi_items() if k not in PAGING]
        url = f"{self._base(request)}{request.url.path}?"
        links = []
        if len(page) == limit:  # like Mastodon: a full page always offers a next one
            links.append(f'<{url}{urlencode([*kept, ("max_id", page[-1])])}>; rel="next"')
        links.append(f'<{url}{urlencode([*kept, ("min_id", page[0])])}>; rel="prev"')
        return {"Link": ", ".join(links)}

    def _paged(
        self,
        request: Request,
        ids: list[int],
        default: int,
        maximum: int,
        render: Callable[[int], dict[str, Any]],
    ) -> Response:
        page, headers = self._page(request, ids, default, maximum)
        items = [render(i) for i in page]
        return JSONResponse(self.malform(request, items), headers=headers)

    def _paged_rows(
        self, request: Request, rows: list[Entry], render: Callable[[Entry], dict[str, Any]]
    ) -> Response:
        by_id = {row.id: row for row in rows}
        return self._paged(request, list(by_id), 40, 80, lambda i: render(by_id[i]))

    # -- methods -------------------------------------------------------------------------------
    def lookup(self, request: Request) -> Response:
        acct = request.query_params.get("acct", "")
        name, _, domain = acct.lstrip("@").partition("@")
        account = self._idx().by_acct.get(name.lower())
        if domain and domain != request.url.netloc and domain != request.url.hostname:
            account = None
        if account is None or (account.user is None and self.faults.deleted_account):
            return error(404, NOT_FOUND)
        return JSONResponse(self._account(request, account))

    def account(self, request: Request) -> Response:
        return JSONResponse(self._account(request, self._account_or_404(request)))

    def statuses(self, request: Request) -> Response:
        account = self._account_or_404(request)
        ids = [s.id for s in self._idx().authored.get(account.id, [])]
        statuses = self._idx().statuses
        return self._paged(request, ids, 20, 40, lambda i: self._status(request, statuses[i]))

    def context(self, request: Request) -> Response:
        status = self._status_or_404(request)
        index = self._idx()
        # Without a user token Mastodon cuts the tree: 40 ancestors, 60 descendants.
        authed = self._token(request) is not None
        max_up, max_down = (4096, 4096) if authed else (40, 60)
        ancestors: list[Status] = []
        parent = status.in_reply_to
        while parent is not None and len(ancestors) < max_up:
            ancestors.insert(0, index.statuses[parent])
            parent = index.statuses[parent].in_reply_to
        descendants: list[Status] = []
        stack = list(reversed(index.children.get(status.id, [])))
        while stack and len(descendants) < max_down:  # depth first, oldest first
            child = stack.pop()
            descendants.append(child)
            stack.extend(reversed(index.children.get(child.id, [])))
        body = {
            "ancestors": [self._status(request, s) for s in ancestors],
            "descendants": self.malform(request, [self._status(request, s) for s in descendants]),
        }
        return JSONResponse(body)

    def _account_row(self, request: Request, entry: Entry) -> dict[str, Any]:
        account = self._idx().accounts[mastodon_account_id(entry.interaction.user_id)]
        return self._account(request, account)

    def favourited_by(self, request: Request) -> Response:
        status = self._status_or_404(request)
        rows = self._idx().favourites.get(status.id, [])
        return self._paged_rows(request, rows, lambda e: self._account_row(request, e))

    def reblogged_by(self, request: Request) -> Response:
        status = self._status_or_404(request)
        rows = self._idx().reblogs.get(status.id, [])
        return self._paged_rows(request, rows, lambda e: self._account_row(request, e))

    def followers(self, request: Request) -> Response:
        account = self._account_or_404(request)
        rows = self._idx().followers if account.user is None else []
        return self._paged_rows(request, rows, lambda e: self._account_row(request, e))

    def notifications(self, request: Request) -> Response:
        params = request.query_params
        types = set(params.getlist("types[]") + params.getlist("types"))
        excluded = set(params.getlist("exclude_types[]") + params.getlist("exclude_types"))
        rows = [
            e
            for e in self._idx().notifications
            if (not types or e.kind in types) and e.kind not in excluded
        ]
        return self._paged_rows(request, rows, lambda e: self._notification(request, e))

    def _notification(self, request: Request, entry: Entry) -> dict[str, Any]:
        index, item = self._idx(), entry.interaction
        body: dict[str, Any] = {
            "id": str(entry.id),
            "type": entry.kind,
            "created_at": iso_z(item.occurred_at),
            "group_key": f"ungrouped-{entry.id}",
            "account": self._account_row(request, entry),
        }
        if entry.kind == "mention":
            sid = int(mastodon_status_id(item.key, item.occurred_at))
            body["status"] = self._status(request, index.statuses[sid])
        elif entry.kind != "follow":
            body["status"] = self._status(request, index.by_post[item.post_id or ""])
        return body

    # -- streaming -----------------------------------------------------------------------------
    def instance(self, request: Request) -> Response:
        """GET /api/v2/instance: the fields a client reads (the streaming server's URL)."""
        if not self.instance_v2:
            return error(404, "Not Found")
        base = self._base(request)
        host = request.url.netloc
        streaming = self.streaming_url or base.replace("http", "ws", 1)
        return JSONResponse(
            {
                "domain": host,
                "title": "fanlens simulator",
                "version": "4.3.0",
                "source_url": "https://github.com/mastodon/mastodon",
                "description": "A simulated Mastodon server.",
                "languages": ["en"],
                "configuration": {
                    "urls": {"streaming": streaming, "status": None},
                    "accounts": {"max_featured_tags": 10, "max_pinned_statuses": 5},
                    "statuses": {
                        "max_characters": 500,
                        "max_media_attachments": 4,
                        "characters_reserved_per_url": 23,
                    },
                },
                "registrations": {"enabled": False, "approval_required": False, "message": None},
                "contact": {"email": f"admin@{request.url.hostname}", "account": None},
                "rules": [],
            }
        )

    async def emit_endpoint(self, request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            return error(400, "the body must be JSON")
        if not isinstance(body, dict):
            return error(400, "the body must be an object")
        try:
            events = [
                *(self._notify(request, r) for r in _objects(body, "records")),
                *(self._edit(request, e) for e in _objects(body, "edits")),
                *(("delete", str(i)) for i in body.get("deletes") or []),
                *((e["event"], e.get("payload")) for e in _objects(body, "events")),
            ]
        except (KeyError, ValueError, TypeError) as exc:
            return error(400, f"cannot stream that: {exc!r}")
        return JSONResponse({"events": [self.streaming.publish(n, p) for n, p in events]})

    def _notify(self, request: Request, record: dict[str, Any]) -> tuple[str, str]:
        """Add an interaction to the world; its notification, as the stream sends it."""
        kind = record["interaction_type"]
        note_type = NOTIFY_KINDS.get(kind) or (
            "mention" if kind in (*REPLY_KINDS, "mention") else None
        )
        if note_type is None:
            raise ValueError(f"no Mastodon notification for a {kind!r}")
        self.world.add([{**record, "platform": self.platform}])
        key = interaction_identity(record)
        for entry in self._idx().notifications:
            if entry.interaction.key == key and entry.kind == note_type:
                return "notification", json.dumps(self._notification(request, entry))
        raise ValueError(f"the {kind} is not on one of the creator's posts")

    def _edit(self, request: Request, edit: dict[str, Any]) -> tuple[str, str]:
        status = self._idx().statuses.get(int(edit["id"]))
        edited_at = parse_time(edit.get("edited_at"))
        if status is None or status.interaction is None or edited_at is None:
            raise ValueError(f"no fan status {edit['id']!r} to edit at {edit.get('edited_at')!r}")
        self.edits[status.id] = (str(edit["text"]), edited_at)
        return "status.update", json.dumps(self._status(request, status))


def _objects(body: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [o for o in body.get(name) or [] if isinstance(o, dict)]


def linkify(text: str) -> str:
    """Plain text as Mastodon renders it: escaped, URLs made anchors whose visible text hides
    the scheme (so the text without tags still reads the whole URL)."""
    out, last = [], 0
    for match in URL.finditer(text):
        url = match.group(0)
        scheme, _, rest = url.partition("://")
        out.append(html.escape(text[last : match.start()]))
        out.append(
            f'<a href="{html.escape(url)}" target="_blank" rel="nofollow noopener" translate="no">'
            f'<span class="invisible">{scheme}://</span><span class="">{html.escape(rest)}</span>'
            '<span class="invisible"></span></a>'
        )
        last = match.end()
    out.append(html.escape(text[last:]))
    return "".join(out)


def _int(raw: str | None) -> int | None:
    return int(raw) if raw is not None and raw.isdigit() else None
