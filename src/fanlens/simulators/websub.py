"""A WebSub hub (PubSubHubbub 0.4, as Google's hub at pubsubhubbub.appspot.com serves YouTube).

``POST /hub/subscribe`` takes a form: ``hub.mode`` (``subscribe`` or ``unsubscribe``),
``hub.callback``, ``hub.topic``, optional ``hub.lease_seconds`` and ``hub.secret`` (under 200
bytes). A bad request is answered 400 in plain text; a good one 202 Accepted, after which the
hub verifies the intent with a GET to the callback (its query kept, plus ``hub.mode``,
``hub.topic``, ``hub.challenge`` and, to subscribe, ``hub.lease_seconds``): the subscription
holds only when the answer is a 2xx whose body is the challenge.

The simulator's control ``POST /_sim/hub/publish`` sends an Atom notification of the channel's
feed to every verified subscriber of its topic, signed ``X-Hub-Signature: sha1=<hex HMAC-SHA1
of the body under hub.secret>``: body ``{"records": [...]}`` (added to the world first),
``video_id`` (else the first post record's), ``deleted`` (an ``at:deleted-entry`` instead of
an entry) and ``secret`` (sign with this instead, as a forger would). It answers what each
subscriber answered.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import httpx
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

TOPIC_PREFIX = "https://www.youtube.com/xml/feeds/videos.xml?channel_id="
DEFAULT_LEASE = 432_000  # five days
MAX_LEASE = 864_000
MAX_SECRET = 200  # bytes
Send = Callable[[str, bytes, dict[str, str]], Awaitable[dict[str, Any]]]


@dataclass
class Subscription:
    callback: str
    topic: str
    secret: str | None
    lease_seconds: int
    verified: bool = False
    expires_at: str | None = None


@dataclass
class Video:
    """What a notification says of a video."""

    video_id: str
    channel_id: str
    title: str
    published: datetime
    channel_title: str = "fanlens creator"


class Hub:
    def __init__(self) -> None:
        self.subscriptions: dict[tuple[str, str], Subscription] = {}
        self.verifications: list[dict[str, Any]] = []  # each check: callback, mode, status

    def state(self) -> dict[str, Any]:
        return {
            "subscriptions": [asdict(s) for s in self.subscriptions.values()],
            "verifications": list(self.verifications),
        }

    async def subscribe(self, request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        mode, callback, topic = (form.get(f"hub.{n}", "") for n in ("mode", "callback", "topic"))
        problem = _problem(mode, callback, topic, form)
        if problem:
            return PlainTextResponse(problem, status_code=400)
        lease = min(int(form.get("hub.lease_seconds") or DEFAULT_LEASE), MAX_LEASE)
        asked = Subscription(callback, topic, form.get("hub.secret") or None, lease)
        return Response(status_code=202, background=BackgroundTask(self._verify, mode, asked))

    async def _verify(self, mode: str, asked: Subscription) -> None:
        challenge = secrets.token_urlsafe(24)
        params = {"hub.mode": mode, "hub.topic": asked.topic, "hub.challenge": challenge}
        if mode == "subscribe":
            params["hub.lease_seconds"] = str(asked.lease_seconds)
        try:
            async with httpx.AsyncClient(timeout=30) as client:
                # The callback's own query stays (httpx would replace it with `params`).
                url = httpx.URL(asked.callback).copy_merge_params(params)
                answer = await client.get(url)
            status, agreed = answer.status_code, answer.is_success and answer.text == challenge
        except httpx.HTTPError:
            status, agreed = 0, False
        self.verifications.append({"callback": asked.callback, "mode": mode, "status": status})
        key = (asked.callback, asked.topic)
        if agreed and mode == "subscribe":
            ends = datetime.now(UTC).timestamp() + asked.lease_seconds
            asked.verified, asked.expires_at = True, datetime.fromtimestamp(ends, UTC).isoformat()
            self.subscriptions[key] = asked
        elif agreed:
            self.subscriptions.pop(key, None)

    async def publish(self, video: Video, *, deleted: bool, secret: str | None, send: Send) -> Any:
        """Deliver one notification to every verified subscriber of the video's channel."""
        topic = TOPIC_PREFIX + video.channel_id
        raw = (tombstone_feed(video, topic) if deleted else entry_feed(video, topic)).encode()
        answers = []
        for sub in [s for s in self.subscriptions.values() if s.verified and s.topic == topic]:
            headers = {"content-type": "application/atom+xml"}
            key = secret if secret is not None else sub.secret
            if key is not None:
                digest = hmac.new(key.encode(), raw, hashlib.sha1).hexdigest()
                headers["x-hub-signature"] = f"sha1={digest}"
            answers.append({"callback": sub.callback, **(await send(sub.callback, raw, headers))})
        return JSONResponse({"deliveries": answers, "payload": raw.decode()})


def _problem(mode: str, callback: str, topic: str, form: dict[str, str]) -> str | None:
    if mode not in ("subscribe", "unsubscribe"):
        return "Invalid value for hub.mode"
    if not callback.startswith(("http://", "https://")):
        return "Invalid parameter: hub.callback"
    if not topic.startswith(TOPIC_PREFIX) or len(topic) == len(TOPIC_PREFIX):
        return "Invalid parameter: hub.topic"
    if not (form.get("hub.lease_seconds") or "1").isdigit():
        return "Invalid value for hub.lease_seconds"
    if len((form.get("hub.secret") or "").encode()) >= MAX_SECRET:
        return "Invalid parameter: hub.secret must be less than 200 bytes"
    return None


FEED_OPEN = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<feed xmlns:yt="http://www.youtube.com/xml/schemas/2015" '
    'xmlns="http://www.w3.org/2005/Atom"{extra}>\n'
    '  <link rel="hub" href="https://pubsubhubbub.appspot.com"/>\n'
    '  <link rel="self" href={topic}/>\n'
    "  <title>YouTube video feed</title>\n"
    "  <updated>{now}</updated>\n"
)


def entry_feed(video: Video, topic: str) -> str:
    """A new or changed video, as YouTube's push notifications show one."""
    now = datetime.now(UTC).isoformat()
    channel_url = f"http://www.youtube.com/channel/{video.channel_id}"
    watch = f"http://www.youtube.com/watch?v={video.video_id}"
    return (
        FEED_OPEN.format(extra="", topic=quoteattr(topic), now=now)
        + "  <entry>\n"
        + f"    <id>yt:video:{escape(video.video_id)}</id>\n"
        + f"    <yt:videoId>{escape(video.video_id)}</yt:videoId>\n"
        + f"    <yt:channelId>{escape(video.channel_id)}</yt:channelId>\n"
        + f"    <title>{escape(video.title)}</title>\n"
        + f'    <link rel="alternate" href={quoteattr(watch)}/>\n'
        + f"    <author>\n     <name>{escape(video.channel_title)}</name>\n"
        + f"     <uri>{escape(channel_url)}</uri>\n    </author>\n"
        + f"    <published>{video.published.astimezone(UTC).isoformat()}</published>\n"
        + f"    <updated>{now}</updated>\n"
        + "  </entry>\n</feed>\n"
    )


def tombstone_feed(video: Video, topic: str) -> str:
    """A deleted video: an Atom tombstone (RFC 6721) in place of its entry."""
    now = datetime.now(UTC).isoformat()
    extra = ' xmlns:at="http://purl.org/atompub/tombstones/1.0"'
    watch = f"http://www.youtube.com/watch?v={video.video_id}"
    channel_url = f"http://www.youtube.com/channel/{video.channel_id}"
    return (
        FEED_OPEN.format(extra=extra, topic=quoteattr(topic), now=now)
        + f"  <at:deleted-entry ref={quoteattr('yt:video:' + video.video_id)} "
        + f"when={quoteattr(now)}>\n"
        + f"    <link href={quoteattr(watch)}/>\n"
        + f"    <at:by>\n     <name>{escape(video.channel_title)}</name>\n"
        + f"     <uri>{escape(channel_url)}</uri>\n    </at:by>\n"
        + "  </at:deleted-entry>\n</feed>\n"
    )
