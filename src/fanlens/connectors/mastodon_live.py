"""Mastodon live: the account's `user` stream of the streaming API, over WebSocket.

The streaming server may live on another host than the REST API: it is found as documented
(docs.joinmastodon.org/methods/streaming, "Hostname discovery"): `configuration.urls.streaming`
of `GET /api/v2/instance`, else `GET /api/v1/streaming` on the instance, which redirects to
the streaming host when there is one (and answers 404 when the instance serves it itself).
The WebSocket `/api/v1/streaming?stream=user` is opened with the account's token in the
`Authorization` header. Each text frame is `{"stream": [...], "event", "payload"}`, the
payload a JSON document cast to a string (a bare status id for `delete`):

- `notification` (a Notification): mention, favourite, reblog and follow, stored as a sync with
  the token stores the same notification (`MastodonConnector.notification_records`): a mention
  in the thread of one of the creator's posts as that thread's `comment` or `reply` (its root
  found through `GET /api/v1/statuses/:id/context`), any other as a `mention`; a notification
  whose thread cannot be read now is left to the next poll;
- `status.update` (a Status): the stored mention, comment or reply with that id takes the new
  text, dated by the status's `edited_at`;
- `delete` (a status id): the stored interaction with that id is deleted.

Mastodon keeps no replay of its streams. A reconnect therefore reads the notifications after
the stored cursor (the newest notification id streamed) through the REST API
(`GET /api/v1/notifications?min_id=`, up to `CATCH_UP_PAGES` pages) before the stream's own
events, so the favourites, boosts, follows and mentions of an outage are stored at once; edits
and deletes made during an outage are lost to the stream, and anything beyond the catch-up is
filled by the next poll.
"""

from __future__ import annotations

import json
import logging
from collections import deque
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from websockets.sync.client import ClientConnection

from fanlens.connectors import base
from fanlens.connectors.live import Disconnected, LiveConnection, LiveEvent, LiveSource
from fanlens.connectors.live_socket import SocketConnection, open_socket
from fanlens.connectors.mastodon import PLATFORM, MastodonConnector, plain_text
from fanlens.kit.http import RetriesExhausted
from fanlens.kit.logging import kv

log = logging.getLogger(__name__)

STREAM = "user"  # home timeline and notifications: the only stream with status.update
CATCH_UP_PAGES = 10  # 800 notifications: a longer outage is left to the next poll
SCHEMES = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}


class MastodonStreamSource(LiveSource):
    platform = PLATFORM
    name = "live:mastodon"
    rewind = 0  # nothing to rewind: the streaming API does not replay

    def __init__(self, connector: MastodonConnector, instance_url: str, token: str) -> None:
        self.connector = connector  # the creator's account id, and thread roots
        self.instance_url = instance_url.rstrip("/")
        self.token = token
        self.streaming_url: str | None = None  # found once, at the first connect

    def connect(self, cursor: int | None) -> LiveConnection:
        try:
            if self.connector.account_id is None:
                self.connector.resolve()
            if self.streaming_url is None:
                self.streaming_url = self.discover()
        except base.ConnectorError as exc:
            raise Disconnected(exc.message) from exc
        url = f"{self.streaming_url}/api/v1/streaming?stream={STREAM}"
        headers = {"Authorization": f"Bearer {self.token}"}
        socket = open_socket(url, headers=headers, max_size=2**22)
        # Read after the socket is open, so nothing falls between the catch-up and the stream
        # (what both see is stored once).
        missed = self.catch_up(cursor) if cursor else []
        return MastodonConnection(socket, self.connector, cursor or 0, missed)

    def catch_up(self, cursor: int) -> list[dict[str, Any]]:
        try:
            return self.connector.notifications_after(cursor, pages=CATCH_UP_PAGES)
        except base.ConnectorError as exc:  # the next poll fills the outage
            log.warning(kv(event="live_catch_up_failed", source=self.name, error=exc.message))
            return []

    def discover(self) -> str:
        """The streaming server's root as a ws(s) URL."""
        http = self.connector.http
        try:
            response = http.get(f"{self.instance_url}/api/v2/instance")
            found = None
            if response.is_success:
                urls = ((response.json() or {}).get("configuration") or {}).get("urls") or {}
                found = urls.get("streaming")
            if not isinstance(found, str) or not found:
                # Before 4.0: the REST host redirects to the streaming host, or is it.
                response = http.get(f"{self.instance_url}/api/v1/streaming")
                found = str(response.url) if response.history else self.instance_url
        except (RetriesExhausted, httpx.HTTPError, ValueError, AttributeError) as exc:
            raise base.ConnectorError.transient(
                f"Mastodon: cannot find the streaming server: {exc}", "unavailable"
            ) from exc
        return ws_root(found)

    def enrich(self, records: list[base.Record]) -> list[base.Record]:
        return records  # a notification carries the whole Account of the fan


def ws_root(url: str) -> str:
    """scheme://host[:port] of a streaming URL, the scheme made ws or wss."""
    parts = urlsplit(url)
    scheme = SCHEMES.get(parts.scheme)
    if scheme is None or not parts.netloc:
        raise base.ConnectorError.transient(
            f"Mastodon: {url!r} is not a streaming server URL", "bad_streaming_url"
        )
    return urlunsplit((scheme, parts.netloc, "", "", ""))


class MastodonConnection(SocketConnection):
    def __init__(
        self,
        socket: ClientConnection,
        connector: MastodonConnector,
        cursor: int,
        missed: list[dict[str, Any]],
    ) -> None:
        super().__init__(socket)
        self.connector = connector
        self.cursor = cursor  # never moves back: events without a notification id keep it
        self.missed = deque(missed)  # the catch-up's notifications, sent before the stream's

    def next(self, timeout: float) -> LiveEvent | None:
        if self.missed:
            return self.notification(self.missed.popleft())
        frame = self.receive(timeout)
        if frame is None:
            return None
        try:
            message = json.loads(frame)
            name, payload = message.get("event"), message.get("payload")
        except (ValueError, TypeError, AttributeError):
            log.warning(kv(event="live_bad_frame", frame=str(frame)[:200]))
            return None
        try:
            return self.event(name, payload)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            log.warning(kv(event="live_bad_event", error=exc, frame=str(frame)[:200]))
        return LiveEvent(self.cursor)

    def event(self, name: Any, payload: Any) -> LiveEvent:
        if name == "notification":
            return self.notification(json.loads(payload))
        if name == "status.update":
            return LiveEvent(self.cursor, edited=edit_of(json.loads(payload)))
        if name == "delete" and isinstance(payload, str) and payload:
            return LiveEvent(self.cursor, deleted=[payload])
        return LiveEvent(self.cursor)  # home timeline updates, filters, announcements

    def notification(self, note: dict[str, Any]) -> LiveEvent:
        records: list[base.Record] = []
        try:
            records = self.connector.notification_records(note)
        except base.ConnectorError as exc:  # the thread unread: the next poll stores it
            log.warning(kv(event="live_thread_failed", error=exc.message))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            log.warning(kv(event="live_bad_event", error=exc, notification=str(note)[:200]))
        note_id = str(note.get("id") or "")
        if note_id.isdigit():  # Mastodon's ids are numbers; other servers' may not be
            self.cursor = max(self.cursor, int(note_id))
        return LiveEvent(self.cursor, records)


def edit_of(status: dict[str, Any]) -> list[base.Record]:
    """The edit of a status, if it says when it was edited (a change needs its time)."""
    edited_at = status.get("edited_at")
    if not isinstance(edited_at, str):
        return []
    text = plain_text(status.get("content")) or ""
    return [
        {
            "external_id": base.require_text(status.get("id"), "id"),
            "edited_at": base.checked_time(edited_at),
            "text": text,
        }
    ]
