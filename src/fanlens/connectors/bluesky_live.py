"""Bluesky live: the records fans commit, read from a Jetstream `subscribe` endpoint.

Jetstream (github.com/bluesky-social/jetstream) sends each repo commit as a JSON text frame:
``{"did", "time_us", "kind": "commit", "commit": {"rev", "operation", "collection", "rkey",
"record", "cid"}}``; ``identity`` and ``account`` events carry no interaction. The query
parameters ``wantedCollections`` (repeated) and ``cursor`` (unix microseconds) select and
replay. ``wantedDids`` filters by the committing repo, i.e. the fan, so it cannot select the
creator's audience: the subject (the creator's post or DID) is checked here.

Times are the record's ``createdAt`` (exact), not ``time_us``: ``time_us`` is when Jetstream saw
the commit, while ``createdAt`` is the time the poller reads for the same like (getLikes), and a
like's dedup key holds its time, so both paths must give the same one. Reposts and follows are
keyed without their time, as the poller sees them without one.

A like, repost or follow keeps its record's at-uri as its external id, so that the record's
delete (which names only the repo, collection and record key) finds it; the poller lists them
without one, so they are keyed without it (`unkeyed_ids`) and both paths still store one row.
An `update` of a reply or quote is an edit of its text, at the event's time (the record keeps
its `createdAt`, and Jetstream carries no edit time of its own).
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import Engine
from websockets.sync.client import ClientConnection

from fanlens.connectors import base, bluesky_deletes
from fanlens.connectors.bluesky import PLATFORM, BlueskyConnector, reply_record
from fanlens.connectors.live import Disconnected, LiveConnection, LiveEvent, LiveSource
from fanlens.connectors.live_socket import SocketConnection, open_socket
from fanlens.kit.logging import kv

log = logging.getLogger(__name__)

LIKE = "app.bsky.feed.like"
REPOST = "app.bsky.feed.repost"
POST = "app.bsky.feed.post"
FOLLOW = "app.bsky.graph.follow"
COLLECTIONS = (LIKE, REPOST, POST, FOLLOW)
QUOTE_EMBEDS = {"app.bsky.embed.record", "app.bsky.embed.recordWithMedia"}
REWIND_US = 5_000_000  # a reconnect replays the last 5 s: the cut may have lost frames in flight


class JetstreamSource(LiveSource):
    platform = PLATFORM
    name = "live:jetstream"
    rewind = REWIND_US
    untimed_keys = frozenset({"repost", "follow"})
    unkeyed_ids = frozenset({"like", "repost", "follow"})

    def __init__(self, url: str, connector: BlueskyConnector) -> None:
        self.url = url
        self.connector = connector  # the creator's DID, and fans' profiles

    def connect(self, cursor: int | None) -> LiveConnection:
        creator_did = resolved_did(self.connector)
        url = subscribe_url(self.url, cursor)
        return JetstreamConnection(open_socket(url, max_size=2**22), creator_did)

    def enrich(self, records: list[base.Record]) -> list[base.Record]:
        """Fans' handles and names, fetched once per batch (25 a call); without them (the
        AppView failing) the records are stored with the DID, and the next poll completes them."""
        dids = sorted({r["user"]["external_user_id"] for r in records if "user" in r})
        if not dids:
            return records
        profiles: dict[str, base.Profile] = {}
        try:
            for start in range(0, len(dids), self.connector.profiles_per_call):
                chunk = dids[start : start + self.connector.profiles_per_call]
                profiles |= {p.external_user_id: p for p in self.connector.fetch_profiles(chunk)}
        except base.ConnectorError as exc:
            log.warning(kv(event="live_profiles_failed", error=exc.message))
        for record in records:
            who = record.get("user") or record
            profile = profiles.get(str(who.get("external_user_id")))
            if profile is not None:
                who |= _user_fields(profile)
        return records

    def resolve_deletes(
        self, engine: Engine, workspace_id: uuid.UUID, external_ids: list[str]
    ) -> list[base.Record]:
        """Deleted likes, reposts and follows: see fanlens.connectors.bluesky_deletes."""
        return bluesky_deletes.resolve(self.connector, engine, workspace_id, external_ids)


def resolved_did(connector: BlueskyConnector) -> str:
    """The creator's DID, resolved from the handle when the account was added by handle."""
    if connector.did is None:
        try:
            connector.resolve()
        except base.ConnectorError as exc:
            raise Disconnected(exc.message) from exc
    assert connector.did is not None
    return connector.did


def subscribe_url(url: str, cursor: int | None) -> str:
    """The endpoint with our collections and the cursor added to what the setting names."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("wantedCollections", "cursor")]
    query += [("wantedCollections", c) for c in COLLECTIONS]
    if cursor is not None:
        query.append(("cursor", str(cursor)))
    return urlunsplit(parts._replace(query=urlencode(query)))


class JetstreamConnection(SocketConnection):
    def __init__(self, socket: ClientConnection, creator_did: str) -> None:
        super().__init__(socket)
        self.creator_did = creator_did

    def next(self, timeout: float) -> LiveEvent | None:
        frame = self.receive(timeout)
        if frame is None:
            return None
        try:
            event = json.loads(frame)
            cursor = int(event["time_us"])
        except (ValueError, TypeError, KeyError):
            log.warning(kv(event="live_bad_frame", frame=str(frame)[:200]))
            return None
        try:
            records = records_of(event, self.creator_did)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            log.warning(kv(event="live_bad_event", error=exc, frame=str(frame)[:200]))
            records = []
        return LiveEvent(cursor, records, deleted_records(event))


def records_of(event: dict[str, Any], creator_did: str) -> list[base.Record]:
    """The interchange records a Jetstream event means for this creator (mostly none)."""
    commit = event.get("commit")
    if event.get("kind") != "commit" or not isinstance(commit, dict):
        return []
    fan = event["did"]
    operation = commit.get("operation")
    if fan == creator_did or operation not in ("create", "update"):
        return []  # deletes: see deleted_records
    record = commit.get("record") or {}
    collection = commit.get("collection")
    who = base.user(external_user_id=fan)
    own_post = f"at://{creator_did}/{POST}/"
    uri = f"at://{fan}/{collection}/{base.require_text(commit.get('rkey'), 'rkey')}"
    if collection == POST:
        edited_at = _event_time(event) if operation == "update" else None
        return _post_records(record, uri, who, creator_did, own_post, edited_at)
    if operation == "update":
        # A like, repost or follow holds only its subject and time: a client changes neither
        # (it deletes the record and creates another), and fanlens keeps nothing else of it.
        return []
    if collection in (LIKE, REPOST):
        subject = (record.get("subject") or {}).get("uri")
        if not isinstance(subject, str) or not subject.startswith(own_post):
            return []
        kind = "like" if collection == LIKE else "repost"
        return [
            base.interaction(
                PLATFORM,
                kind,
                who,
                external_post_id=subject,
                external_id=uri,
                occurred_at=record["createdAt"],
            )
        ]
    if collection == FOLLOW:
        if record.get("subject") != creator_did:
            return []
        follow = base.interaction(
            PLATFORM, "follow", who, external_id=uri, occurred_at=record["createdAt"]
        )
        return [base.follower(PLATFORM, who), follow]
    return []


def deleted_records(event: dict[str, Any]) -> list[str]:
    """The at-uri of a deleted post, like, repost or follow. A post's is the external id of
    the reply or quote fanlens stored; a like's, repost's or follow's names only the record,
    not its subject: JetstreamSource.resolve_deletes finds what it was."""
    commit = event.get("commit")
    if event.get("kind") != "commit" or not isinstance(commit, dict):
        return []
    if commit.get("operation") != "delete" or commit.get("collection") not in COLLECTIONS:
        return []
    did, rkey = event.get("did"), commit.get("rkey")
    if not isinstance(did, str) or not isinstance(rkey, str):
        return []
    return [f"at://{did}/{commit['collection']}/{rkey}"]


def _event_time(event: dict[str, Any]) -> str:
    """When Jetstream saw the commit (`time_us`), as an RFC 3339 time."""
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(event["time_us"]))
    return moment.isoformat().replace("+00:00", "Z")


def _post_records(
    record: dict[str, Any],
    uri: str,
    who: base.Record,
    creator_did: str,
    own_post: str,
    edited_at: str | None,
) -> list[base.Record]:
    """A reply in the thread of one of the creator's posts (as the poller reads threads), or a
    quote of one; with `edited_at`, its text is an edit made then."""
    root = ((record.get("reply") or {}).get("root") or {}).get("uri")
    if isinstance(root, str) and root.startswith(own_post):
        found = reply_record(record, root, uri, who, creator_did)
    elif (quoted := _quoted(record.get("embed"))) is not None and quoted.startswith(own_post):
        found = base.interaction(
            PLATFORM,
            "quote",
            who,
            external_post_id=quoted,
            external_id=uri,
            text=record.get("text"),
            occurred_at=record["createdAt"],
        )
    else:
        return []
    if edited_at is not None and found.get("text") is not None:
        found["edited_at"] = edited_at
    return [found]


def _quoted(embed: Any) -> str | None:
    """The uri an `app.bsky.embed.record` (or `recordWithMedia`, one level deeper) quotes."""
    if not isinstance(embed, dict) or embed.get("$type") not in QUOTE_EMBEDS:
        return None
    ref = embed.get("record") or {}
    if embed["$type"] == "app.bsky.embed.recordWithMedia":
        ref = ref.get("record") or {}
    uri = ref.get("uri")
    return uri if isinstance(uri, str) else None


def _user_fields(profile: base.Profile) -> dict[str, Any]:
    fields = {
        "username": profile.username,
        "display_name": profile.display_name,
        "avatar_url": profile.avatar_url,
        "profile_url": f"https://bsky.app/profile/{profile.username}" if profile.username else None,
        "follower_count": profile.follower_count,
    }
    return {k: v for k, v in fields.items() if v is not None}
