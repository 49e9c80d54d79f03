"""Bluesky through the public AppView (no credentials for public data); outreach replies are
written to the account's PDS after logging in with an app password.

Replies and quotes carry their record's `createdAt`, likes their `createdAt`: exact times.
Reposts and follows are listed without a time: stored as observed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from fanlens.config import settings
from fanlens.connectors import base, paging
from fanlens.kit.http import HttpClient, HttpOptions, RetriesExhausted, budget_for
from fanlens.kit.timeutil import parse_rfc3339

PLATFORM = "bluesky"
POSTS = base.Stream("posts", ("external_post_id",), "posted_at", None, timedelta(days=7))
FOLLOWERS = base.Stream("followers", ("external_user_id",), None)
ENGAGEMENT = base.Stream("engagement", ("external_post_id", "interaction_type"), None)
PAGE = 100
PROFILES_PER_CALL = 25
REAUTH_ERRORS = {"ExpiredToken", "InvalidToken", "AuthMissing", "AuthenticationRequired"}
GONE_ERRORS = {"AccountTakedown", "AccountDeactivated", "HandleNotFound"}
GONE_MESSAGES_OF_INVALID_REQUEST = {"Profile not found", "Unable to resolve handle"}
POST_COLLECTION = "app.bsky.feed.post"
TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"  # base32-sortable, as record keys use


class BlueskyConnector(base.Connector):
    platform = PLATFORM
    streams = (POSTS, FOLLOWERS, ENGAGEMENT)
    profiles_per_call = PROFILES_PER_CALL

    def __init__(self, account: base.AccountConfig, http: HttpClient) -> None:
        super().__init__(account, http)
        self.did = account.external_id if account.external_id.startswith("did:") else None
        self._pds_urls: dict[str, str] = {}  # fans' PDS by DID, resolved once per connector

    @classmethod
    def from_account(cls, account: base.AccountConfig, options: HttpOptions) -> BlueskyConnector:
        headers = {}
        if account.credentials.get("access_token"):
            headers["Authorization"] = f"Bearer {account.credentials['access_token']}"
        http = HttpClient(
            base_url=settings.bluesky_base_url,
            budget=budget_for(PLATFORM),
            options=options,
            headers=headers,
        )
        return cls(account, http)

    def resolve(self) -> str | None:
        profile = self._get("app.bsky.actor.getProfile", {"actor": self.did or self.account.handle})
        self.did = base.require_text(profile.get("did"), "did")
        return profile.get("displayName") or profile.get("handle")

    def read(
        self, stream: base.Stream, state: base.State, *, full: bool, posts: dict[str, Any]
    ) -> Iterator[base.Page]:
        if stream is POSTS:
            yield from paging.cursor_pass(
                POSTS,
                state,
                full=full,
                fetch=self._feed_page,
                position=paging.Position(key=_created, value=_created_text, load=parse_rfc3339),
                to_records=lambda item: [_post_record(item["post"])],
                stop_before=POSTS.since(state, full=full),
                on_page=paging.remember_posts(
                    lambda i: _post_sig(i["post"]), lambda i: i["post"]["uri"], _created_text
                ),
            )
        elif stream is FOLLOWERS:
            yield from paging.head_pass(
                FOLLOWERS,
                state,
                full=full,
                fetch=self._followers_page,
                id_of=lambda p: p["did"],
                to_records=self._follower_records,
            )
        elif stream is ENGAGEMENT:
            yield from paging.engagement_pass(
                ENGAGEMENT, state, posts, full=full, read_post=self._engagement
            )

    # -- posts ----------------------------------------------------------------------------

    def _feed_page(self, cursor: str | None) -> tuple[list[Any], str | None]:
        params = {"actor": self.did, "limit": PAGE, "filter": "posts_no_replies"}
        body = self._get("app.bsky.feed.getAuthorFeed", _with_cursor(params, cursor))
        feed = body.get("feed") or []
        # Reposts by the creator are someone else's posts.
        own = [i for i in feed if not (isinstance(i, dict) and i.get("reason"))]
        return own, body.get("cursor") if feed else None

    # -- followers ------------------------------------------------------------------------

    def _followers_page(self, cursor: str | None) -> tuple[list[Any], str | None]:
        body = self._get(
            "app.bsky.graph.getFollowers", _with_cursor({"actor": self.did, "limit": PAGE}, cursor)
        )
        followers = list(body.get("followers") or [])
        self._enrich(followers)
        return followers, body.get("cursor") if followers else None

    def _enrich(self, profiles: list[Any]) -> None:
        """Follower counts come only with full profiles (getProfiles, 25 a call)."""
        dids = [p["did"] for p in profiles if isinstance(p, dict) and isinstance(p.get("did"), str)]
        counts: dict[str, Any] = {}
        for start in range(0, len(dids), PROFILES_PER_CALL):
            chunk = dids[start : start + PROFILES_PER_CALL]
            body = self._get("app.bsky.actor.getProfiles", {"actors": chunk})
            for full_profile in body.get("profiles") or []:
                counts[full_profile.get("did")] = full_profile.get("followersCount")
        for p in profiles:
            if isinstance(p, dict) and counts.get(str(p.get("did"))) is not None:
                p["followersCount"] = counts[p["did"]]

    def fetch_profiles(self, external_user_ids: list[str]) -> list[base.Profile]:
        """app.bsky.actor.getProfiles: full profiles (follower counts, bio) of up to 25 DIDs."""
        body = self._get("app.bsky.actor.getProfiles", {"actors": external_user_ids})
        return [_profile(p) for p in body.get("profiles") or [] if isinstance(p, dict)]

    def _follower_records(self, profile: dict[str, Any]) -> list[base.Record]:
        who = _user(profile)
        return [base.follower(PLATFORM, who), base.interaction(PLATFORM, "follow", who)]

    # -- engagement -----------------------------------------------------------------------

    def _engagement(
        self, uri: str, _info: dict[str, Any]
    ) -> tuple[list[base.Record], list[base.Reject]]:
        records: list[base.Record] = []
        rejects: list[base.Reject] = []
        for items, to_records in (
            (self._replies(uri), self._reply_records),
            (self._list("app.bsky.feed.getLikes", uri, "likes"), lambda like: [_like(uri, like)]),
            (
                self._list("app.bsky.feed.getRepostedBy", uri, "repostedBy"),
                lambda actor: [
                    base.interaction(PLATFORM, "repost", _user(actor), external_post_id=uri)
                ],
            ),
            (self._list("app.bsky.feed.getQuotes", uri, "posts"), lambda q: [_quote(uri, q)]),
        ):
            recs, rejs = base.convert(ENGAGEMENT, items, to_records)
            records.extend(recs)
            rejects.extend(rejs)
        return records, rejects

    def _replies(self, uri: str) -> list[Any]:
        """Every reply in the thread under a post, with the uri of the post it answers."""
        try:
            body = self._get(
                "app.bsky.feed.getPostThread", {"uri": uri, "depth": 1000, "parentHeight": 0}
            )
        except base.ConnectorError as exc:
            if exc.reason == "NotFound":  # the post was deleted since the posts stream saw it
                return []
            raise
        found: list[Any] = []
        stack: list[Any] = [body.get("thread") or {}]
        while stack:
            node = stack.pop()
            for child in node.get("replies") or [] if isinstance(node, dict) else []:
                if isinstance(child, dict) and child.get("post") is not None:
                    found.append({"root": uri, "node": child})
                    stack.append(child)
                elif not isinstance(child, dict):
                    found.append({"root": uri, "node": child})  # malformed: rejected later
        return found

    def _reply_records(self, item: dict[str, Any]) -> list[base.Record]:
        post = item["node"]["post"]
        record = post["record"]
        who = _user(post["author"])
        if who["external_user_id"] == self.did:
            return []  # the creator answering fans is not fan activity
        uri = base.require_text(post["uri"], "uri")
        return [reply_record(record, item["root"], uri, who, self.did)]

    def _list(self, nsid: str, uri: str, key: str) -> list[Any]:
        items: list[Any] = []
        cursor: str | None = None
        while True:
            body = self._get(nsid, _with_cursor({"uri": uri, "limit": PAGE}, cursor))
            page = list(body.get(key) or [])
            items.extend(page)
            cursor = body.get("cursor")
            if not cursor or not page:
                return items

    # -- replies (outreach) ---------------------------------------------------------------

    # The record key comes from the idempotency key: a resend conflicts instead of posting.
    idempotent_replies = True

    def reply(self, *, parent_id: str, text: str, idempotency_key: str) -> str:
        """A post answering the fan's post `parent_id` (an at-uri), written to the PDS."""
        parent, root = self._reply_refs(parent_id)
        with self._pds() as (pds, did, auth):
            rkey = record_key(idempotency_key)
            body = {
                "repo": did,
                "collection": POST_COLLECTION,
                "rkey": rkey,
                "record": {
                    "$type": POST_COLLECTION,
                    "text": text,
                    "createdAt": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
                    "reply": {"root": root, "parent": parent},
                },
            }
            try:
                response = pds.write_once("/com.atproto.repo.createRecord", json=body, headers=auth)
            except httpx.TransportError as exc:
                raise base.ConnectorError.transient(f"Bluesky: {exc!r}", "unavailable") from exc
            if response.is_success:
                return str(response.json()["uri"])
            failure = bluesky_error(response)
            # A record under this key already exists: an earlier attempt of this message.
            if failure.account_status is None and (made := _existing(pds, did, rkey, auth)):
                return made
            raise failure

    def _reply_refs(self, uri: str) -> tuple[dict[str, str], dict[str, str]]:
        """(parent, root) strong refs: the fan's post and the top of its thread."""
        try:
            thread = self._get("app.bsky.feed.getPostThread", {"uri": uri, "depth": 0})
        except base.ConnectorError as exc:
            if exc.reason == "NotFound":  # deleted: retrying will not bring it back
                raise base.ConnectorError(exc.message, permanent=True, reason="NotFound") from exc
            raise
        post = (thread.get("thread") or {}).get("post") or {}
        parent = {
            "uri": base.require_text(post.get("uri"), "uri"),
            "cid": base.require_text(post.get("cid"), "cid"),
        }
        root = ((post.get("record") or {}).get("reply") or {}).get("root")
        if isinstance(root, dict) and root.get("uri") and root.get("cid"):
            return parent, {"uri": str(root["uri"]), "cid": str(root["cid"])}
        return parent, parent

    @contextmanager
    def _pds(self) -> Iterator[tuple[HttpClient, str, dict[str, str]]]:
        """A logged-in client of the account's PDS (createSession with the app password)."""
        password = self.account.credentials.get("app_password")
        if not password:
            raise base.ConnectorError.needs_reauth(
                "Bluesky replies need an app password: "
                "`fanlens account add bluesky --handle H --app-password P`",
                "no_app_password",
            )
        pds_url = settings.bluesky_pds_url.rstrip("/") + "/xrpc"
        with HttpClient(
            base_url=pds_url, budget=self.http.budget, options=self.http.options
        ) as pds:
            try:
                response = pds.post(
                    "/com.atproto.server.createSession",
                    json={"identifier": self.did or self.account.handle, "password": password},
                )
            except RetriesExhausted as exc:
                raise base.ConnectorError.transient(f"Bluesky: {exc}", "unavailable") from exc
            if not response.is_success:
                failure = bluesky_error(response)
                failure.message = f"Bluesky login with the app password failed: {failure.message}"
                raise failure
            session = response.json()
            yield pds, str(session["did"]), {"Authorization": f"Bearer {session['accessJwt']}"}

    # -- fans' repos (deletes seen live) --------------------------------------------------

    def record_subjects(
        self, did: str, collection: str, wanted: set[str], max_pages: int
    ) -> set[str] | None:
        """Which of the `wanted` subjects (post at-uris, or DIDs for follows) the fan's records
        of `collection` still name: com.atproto.repo.listRecords on the fan's PDS, 100 a page,
        stopping once all are seen; None when `max_pages` pages did not settle it."""
        pds_url = self.pds_of(did)
        found: set[str] = set()
        cursor: str | None = None
        with HttpClient(
            base_url=pds_url.rstrip("/") + "/xrpc",
            budget=budget_for(PLATFORM, pds_url),
            options=self.http.options,
        ) as pds:
            query = {"repo": did, "collection": collection, "limit": PAGE}
            for _ in range(max_pages):
                try:
                    body = self._get(
                        "com.atproto.repo.listRecords", _with_cursor(query, cursor), client=pds
                    )
                except base.ConnectorError:
                    self._pds_urls.pop(did, None)  # the fan may have moved to another PDS
                    raise
                records = body.get("records") or []
                found |= {s for r in records if (s := _subject(r)) is not None and s in wanted}
                cursor = body.get("cursor")
                if found == wanted or not cursor or not records:
                    return found
        return None

    def pds_of(self, did: str) -> str:
        """The fan's PDS, from the DID document (the PLC directory for did:plc, the domain's
        /.well-known/did.json for did:web): where its repo's records are listed."""
        if did not in self._pds_urls:
            if did.startswith("did:plc:"):
                url = f"{settings.bluesky_plc_url.rstrip('/')}/{did}"
            elif did.startswith("did:web:"):
                url = f"https://{did.removeprefix('did:web:')}/.well-known/did.json"
            else:
                raise base.ConnectorError.transient(f"Bluesky: cannot resolve {did}", "bad_did")
            with HttpClient(budget=budget_for(PLATFORM, "did"), options=self.http.options) as web:
                document = self._get(url, {}, client=web)
            self._pds_urls[did] = _pds_endpoint(document, did)
        return self._pds_urls[did]

    # -- HTTP and errors ------------------------------------------------------------------

    def _get(
        self, nsid: str, params: dict[str, Any], *, client: HttpClient | None = None
    ) -> dict[str, Any]:
        """An XRPC query (or, with a full URL, any JSON document) through `client`, by default
        the AppView's."""
        try:
            path = nsid if "://" in nsid else f"/{nsid}"
            response = (client or self.http).get(path, params=params)
        except RetriesExhausted as exc:
            raise base.ConnectorError.transient(f"Bluesky: {exc}", "unavailable") from exc
        if response.is_success:
            try:
                body = response.json()
            except ValueError as exc:
                raise base.ConnectorError.transient(
                    "Bluesky answered with invalid JSON", "bad_json"
                ) from exc
            if isinstance(body, dict):
                return body
            raise base.ConnectorError.transient(
                "Bluesky answered with an unexpected body", "bad_json"
            )
        raise bluesky_error(response, actor_call=nsid.startswith("app.bsky.actor"))


def bluesky_error(response: httpx.Response, *, actor_call: bool = False) -> base.ConnectorError:
    """Classify an XRPC error body ({"error": Name, "message": text})."""
    try:
        body = response.json()
        name, message = str(body["error"]), str(body.get("message") or "")
    except (ValueError, KeyError, TypeError):
        return base.ConnectorError.transient(f"Bluesky HTTP {response.status_code}", "http_error")
    text = f"Bluesky: {name}" + (f" ({message})" if message else "")
    if name in REAUTH_ERRORS or response.status_code == 401:
        return base.ConnectorError.needs_reauth(f"{text}; reconnect the account", name)
    if name in GONE_ERRORS or (
        actor_call and name == "InvalidRequest" and message in GONE_MESSAGES_OF_INVALID_REQUEST
    ):
        return base.ConnectorError.gone(text, name)
    return base.ConnectorError.transient(text, name)


def record_key(idempotency_key: str) -> str:
    """A TID-shaped record key (13 base32-sortable characters, top bit clear) that is the same
    for every attempt of one message."""
    number = int.from_bytes(hashlib.sha256(idempotency_key.encode()).digest()[:8]) >> 1
    return "".join(TID_ALPHABET[(number >> (5 * i)) & 31] for i in reversed(range(13)))


def _existing(pds: HttpClient, did: str, rkey: str, auth: dict[str, str]) -> str | None:
    """The uri of our record under `rkey`, if the PDS holds one."""
    params = {"repo": did, "collection": POST_COLLECTION, "rkey": rkey}
    try:
        response = pds.get("/com.atproto.repo.getRecord", params=params, headers=auth)
    except RetriesExhausted:
        return None
    return str(response.json()["uri"]) if response.is_success else None


def _subject(record: Any) -> str | None:
    """What a listed like or repost names (a strong ref's uri), or a follow (a DID)."""
    value = record.get("value") if isinstance(record, dict) else None
    subject = value.get("subject") if isinstance(value, dict) else None
    if isinstance(subject, dict):
        subject = subject.get("uri")
    return subject if isinstance(subject, str) else None


def _pds_endpoint(document: dict[str, Any], did: str) -> str:
    """The `#atproto_pds` service of a DID document."""
    for service in document.get("service") or []:
        if (
            isinstance(service, dict)
            and str(service.get("id", "")).endswith("#atproto_pds")
            and service.get("type") == "AtprotoPersonalDataServer"
            and isinstance(service.get("serviceEndpoint"), str)
        ):
            return str(service["serviceEndpoint"])
    raise base.ConnectorError.transient(f"Bluesky: {did} names no PDS", "no_pds")


def _with_cursor(params: dict[str, Any], cursor: str | None) -> dict[str, Any]:
    return {**params, "cursor": cursor} if cursor else params


def _user(profile: dict[str, Any]) -> base.Record:
    handle = profile.get("handle")
    return base.user(
        external_user_id=profile["did"],
        username=handle,
        display_name=profile.get("displayName"),
        profile_url=f"https://bsky.app/profile/{handle}" if handle else None,
        avatar_url=profile.get("avatar"),
        bio=profile.get("description"),
        follower_count=profile.get("followersCount"),
    )


def _profile(profile: dict[str, Any]) -> base.Profile:
    count = profile.get("followersCount")
    # Newer AppViews say whether a trusted verifier vouched for the account.
    verification = profile.get("verification")
    verified = (
        verification.get("verifiedStatus") == "valid" if isinstance(verification, dict) else None
    )
    return base.Profile(
        external_user_id=str(profile["did"]),
        username=profile.get("handle"),
        display_name=profile.get("displayName"),
        avatar_url=profile.get("avatar"),
        bio=profile.get("description"),
        follower_count=count if isinstance(count, int) else None,
        verified=verified,
    )


def _like(uri: str, like: dict[str, Any]) -> base.Record:
    return base.interaction(
        PLATFORM, "like", _user(like["actor"]), external_post_id=uri, occurred_at=like["createdAt"]
    )


def _quote(uri: str, post: dict[str, Any]) -> base.Record:
    return base.interaction(
        PLATFORM,
        "quote",
        _user(post["author"]),
        external_post_id=uri,
        external_id=base.require_text(post["uri"], "uri"),
        text=post["record"].get("text"),
        occurred_at=post["record"]["createdAt"],
    )


def _created_text(item: dict[str, Any]) -> str:
    return base.checked_time(item["post"]["record"]["createdAt"])


def _created(item: dict[str, Any]) -> Any:
    return parse_rfc3339(_created_text(item))


def _post_sig(post: dict[str, Any]) -> str:
    return ":".join(
        str(int(post.get(k) or 0)) for k in ("likeCount", "repostCount", "replyCount", "quoteCount")
    )


def _post_record(post: dict[str, Any]) -> base.Record:
    uri = base.require_text(post["uri"], "uri")
    rkey = uri.rsplit("/", 1)[-1]
    handle = (post.get("author") or {}).get("handle")
    return {
        "type": "post",
        "platform": PLATFORM,
        "external_post_id": uri,
        "url": f"https://bsky.app/profile/{handle}/post/{rkey}" if handle else None,
        "caption": post["record"].get("text"),
        "posted_at": base.checked_time(post["record"]["createdAt"]),
        "metrics": {
            "likes": int(post.get("likeCount") or 0),
            "comments": int(post.get("replyCount") or 0),
            "shares": int(post.get("repostCount") or 0),
            "quotes": int(post.get("quoteCount") or 0),
        },
    }


def reply_record(
    record: dict[str, Any], root: str, uri: str, who: base.Record, creator_did: str | None
) -> base.Record:
    """A fan's post in the thread of the creator's post `root`: a comment on it, a reply to
    another reply, or a mention when it tags the creator. The poller and the live stream both
    build it here, so the two store the same interaction."""
    parent = ((record.get("reply") or {}).get("parent") or {}).get("uri")
    kind = "comment" if parent in (None, root) else "reply"
    if _mentions(record, creator_did):
        kind = "mention"
    return base.interaction(
        PLATFORM,
        kind,
        who,
        external_post_id=root,
        external_id=uri,
        text=record.get("text"),
        parent_external_id=parent if parent not in (None, root) else None,
        occurred_at=record["createdAt"],
    )


def _mentions(record: dict[str, Any], did: str | None) -> bool:
    """Whether the post tags `did` (a mention facet with that DID)."""
    return any(
        feature.get("$type") == "app.bsky.richtext.facet#mention" and feature.get("did") == did
        for facet in record.get("facets") or []
        for feature in facet.get("features") or []
    )
