"""Bluesky live from a relay's or PDS's firehose, ``com.atproto.sync.subscribeRepos``.

`FANLENS_BLUESKY_STREAM_URL` names one of two kinds of stream, told apart by the URL's path
(`stream_kind`): a path ending in ``/subscribe`` is Jetstream (`bluesky_live`), a path ending
in ``/xrpc/com.atproto.sync.subscribeRepos`` the firehose; any other URL is a configuration
error. The scheme is ``ws`` or ``wss``.

The firehose (atproto.com/specs/event-stream; lexicon com.atproto.sync.subscribeRepos) sends
binary WebSocket frames, each a DAG-CBOR header ``{op, t}`` followed by a DAG-CBOR body: op 1
is a message whose ``t`` names its type (``#commit``, ``#identity``, ``#account``, ``#sync``,
``#info``), op -1 an error ``{error, message}`` after which the server closes. A ``#commit``
carries ``seq``, ``repo`` (the fan's DID), ``rev``, ``ops`` (``{action, path, cid}``, the path
``collection/rkey``) and ``blocks``, a CAR v1 file holding the records the ops created or
updated. Frames and CAR files are decoded by the `atproto` package (libipld underneath).

Each op of our collections becomes the event Jetstream would send for it and goes through
Jetstream's mapping (`bluesky_live.records_of`, `deleted_records`): both kinds store the
same records and resolve deletes alike. The commit's ``time`` (when the server broadcast it)
stands for Jetstream's ``time_us`` (an edit's time). The cursor is the frame's ``seq``, kept
under its own `sync_state` name (the two cursors are not comparable). The server replays the
frames after ``cursor=``, so a reconnect resumes right after the stored seq (no rewind: seq
grows by one server's count, and a replayed frame is stored once anyway). ``#info
OutdatedCursor`` (the server no longer keeps frames that old and streams from its oldest) is
recorded in `live_gaps` for the next poll to fill; the error ``FutureCursor`` (a seq the
server has not reached: another relay, or one reset) makes the next connection start live.

Commit signatures and the repo's Merkle tree are not verified, as Jetstream does not: the
stream is trusted as the relay or PDS serves it over TLS.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from atproto_core.car import CAR
from atproto_core.cid import CID
from atproto_core.exceptions import AtProtocolError
from atproto_subscription import ErrorFrame, Frame, MessageFrame
from websockets.sync.client import ClientConnection

from fanlens.connectors import base
from fanlens.connectors.bluesky import BlueskyConnector
from fanlens.connectors.bluesky_live import (
    COLLECTIONS,
    JetstreamSource,
    deleted_records,
    records_of,
    resolved_did,
)
from fanlens.connectors.live import (
    Disconnected,
    LiveConnection,
    LiveEvent,
    LiveSource,
    SettingError,
)
from fanlens.connectors.live_socket import SocketConnection, open_socket
from fanlens.kit.logging import kv

log = logging.getLogger(__name__)

FIREHOSE_PATH = "/xrpc/com.atproto.sync.subscribeRepos"
JETSTREAM_PATH = "/subscribe"
MAX_FRAME = 2**23  # bytes: a commit's CAR is at most 1 MB, headroom for the rest
StreamKind = Literal["jetstream", "firehose"]


class StreamUrlError(SettingError):
    """FANLENS_BLUESKY_STREAM_URL names neither kind of stream."""


def stream_kind(url: str) -> StreamKind:
    """Which stream the URL names, by its path; raises StreamUrlError for any other URL."""
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/")
    if parts.scheme in ("ws", "wss") and parts.netloc:
        if path.endswith(FIREHOSE_PATH):
            return "firehose"
        if path.endswith(JETSTREAM_PATH):
            return "jetstream"
    raise StreamUrlError(
        f"FANLENS_BLUESKY_STREAM_URL={url!r} names neither a Jetstream endpoint (a ws:// or "
        "wss:// URL whose path ends in /subscribe, e.g. "
        "wss://jetstream2.us-east.bsky.network/subscribe) nor a relay's or PDS's firehose (a "
        f"path ending in {FIREHOSE_PATH}, e.g. wss://bsky.network{FIREHOSE_PATH}); set it to "
        "one of those, or unset it to only poll Bluesky"
    )


def source_for(url: str, connector: BlueskyConnector) -> LiveSource:
    """The live source the setting names (raises StreamUrlError for an unknown kind)."""
    if stream_kind(url) == "firehose":
        return FirehoseSource(url, connector)
    return JetstreamSource(url, connector)


class FirehoseSource(JetstreamSource):
    """Fans' handles are completed per batch as for Jetstream (`enrich`); only the wire and
    the cursor differ."""

    name = "live:firehose"
    rewind = 0

    def __init__(self, url: str, connector: BlueskyConnector) -> None:
        super().__init__(url, connector)
        self.start_live = False  # set by a FutureCursor: the stored seq means nothing here

    def connect(self, cursor: int | None) -> LiveConnection:
        creator_did = resolved_did(self.connector)
        if self.start_live:
            cursor, self.start_live = None, False
        url = subscribe_url(self.url, cursor)
        socket = open_socket(url, max_size=MAX_FRAME)
        return FirehoseConnection(socket, creator_did, cursor, self)


def subscribe_url(url: str, cursor: int | None) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "cursor"]
    if cursor is not None:
        query.append(("cursor", str(cursor)))
    return urlunsplit(parts._replace(query=urlencode(query)))


class FirehoseConnection(SocketConnection):
    def __init__(
        self,
        socket: ClientConnection,
        creator_did: str,
        cursor: int | None,
        source: FirehoseSource,
    ) -> None:
        super().__init__(socket)
        self.creator_did = creator_did
        self.seq = cursor or 0  # the last seq seen: what an #info frame (it has none) carries
        self.source = source

    def next(self, timeout: float) -> LiveEvent | None:
        data = self.receive(timeout)
        if data is None:
            return None
        if isinstance(data, str):
            log.warning(kv(event="live_bad_frame", source="firehose", frame=data[:200]))
            return None
        try:
            frame = Frame.from_bytes(data)
        except (AtProtocolError, ValueError, RecursionError) as exc:
            log.warning(kv(event="live_bad_frame", source="firehose", error=exc))
            return None
        if isinstance(frame, ErrorFrame):
            if frame.body.error == "FutureCursor":
                self.source.start_live = True
            raise Disconnected(f"firehose error {frame.body.error}: {frame.body.message}")
        assert isinstance(frame, MessageFrame)
        return self._message(frame.type, frame.body)

    def _message(self, kind: str | None, body: dict[str, Any]) -> LiveEvent | None:
        if kind == "#info":
            name, message = body.get("name"), body.get("message")
            if name == "OutdatedCursor":
                return LiveEvent(self.seq, gap=f"firehose {name}: {message}")
            log.info(kv(event="live_info", source="firehose", name=name, message=message))
            return None
        seq = body.get("seq")
        if not isinstance(seq, int):
            log.warning(kv(event="live_bad_frame", source="firehose", kind=kind, error="no seq"))
            return None
        self.seq = seq
        if kind != "#commit":
            return LiveEvent(seq)  # #identity, #account, #sync: only the cursor moves
        records: list[base.Record] = []
        deleted: list[str] = []
        for event in commit_events(body):
            try:
                records += records_of(event, self.creator_did)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                log.warning(kv(event="live_bad_event", source="firehose", seq=seq, error=exc))
            deleted += deleted_records(event)
        return LiveEvent(seq, records, deleted)


def commit_events(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The Jetstream-shaped event of each op of our collections in a ``#commit`` body, its
    record read from the commit's CAR blocks (an op whose record is missing, as in a
    ``tooBig`` commit, keeps none: the next poll reads it)."""
    ops = [op for op in body.get("ops") or [] if _collection(op) in COLLECTIONS]
    if not ops:
        return []
    blocks = _blocks(body)
    time_us = _time_us(body.get("time"))
    events = []
    for op in ops:
        collection, _, rkey = op["path"].partition("/")
        commit: dict[str, Any] = {
            "rev": body.get("rev"),
            "operation": op.get("action"),
            "collection": collection,
            "rkey": rkey,
        }
        cid = op.get("cid")
        if isinstance(cid, bytes):
            record = blocks.get(CID.from_decoded_bytes(cid))
            commit["cid"] = str(CID.from_decoded_bytes(cid))
            if isinstance(record, dict):
                commit["record"] = record
            elif op.get("action") != "delete":
                continue
        events.append(
            {"did": body.get("repo"), "time_us": time_us, "kind": "commit", "commit": commit}
        )
    return events


def _time_us(time: Any) -> int:
    """The commit's ``time`` (RFC 3339) in unix microseconds; now when it is unreadable."""
    try:
        moment = datetime.fromisoformat(str(time).replace("Z", "+00:00"))
    except ValueError:
        moment = datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1_000_000)


def _collection(op: Any) -> str | None:
    path = op.get("path") if isinstance(op, dict) else None
    return path.partition("/")[0] if isinstance(path, str) else None


def _blocks(body: dict[str, Any]) -> dict[CID, Any]:
    data = body.get("blocks")
    if not isinstance(data, bytes) or not data:
        return {}
    try:
        return CAR.from_bytes(data).blocks
    except (AtProtocolError, ValueError, RecursionError) as exc:
        log.warning(kv(event="live_bad_blocks", source="firehose", seq=body.get("seq"), error=exc))
        return {}
