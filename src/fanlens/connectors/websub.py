"""YouTube push notifications of new videos over WebSub (PubSubHubbub 0.4).

YouTube pushes an Atom notification when a channel uploads a video or changes a video's title
or description (developers.google.com/youtube/v3/guides/push_notifications); comments are not
pushed, so they stay with the polls. fanlens subscribes each active YouTube account at the hub
(`FANLENS_YOUTUBE_HUB_URL`) with a form POST: `hub.mode=subscribe`, `hub.topic` =
`https://www.youtube.com/xml/feeds/videos.xml?channel_id=<channel>`, `hub.callback` =
`<FANLENS_PUBLIC_URL>/webhooks/youtube?account=<account id>`, `hub.lease_seconds` and a
`hub.secret` of the subscription's own (derived from FANLENS_SECRET_KEY, so it is never
stored). The hub answers 202 and then checks the intent with a GET to the callback
(`hub.mode`, `hub.topic`, `hub.challenge`, `hub.lease_seconds`): fanlens echoes the challenge
only for the topic it asked about, else answers 404. Each notification is signed
`X-Hub-Signature: <sha1|sha256|sha384|sha512>=<hex HMAC of the body under hub.secret>`.

A notification's `<entry>` (`yt:videoId`, `yt:channelId`, `title`, `published`, `updated`) is
stored as the account's post at once (its exact `published` time; no counts) and a sync of
the account is queued, which reads the video's counts and comments. An
`<at:deleted-entry ref="yt:video:<id>">` (RFC 6721) is counted and logged; the post and the
comments stored on it stay, since the fans' comments happened (a deleted video simply gets no
new ones, and the syncs skip it).

The subscription lives in the account's `websub` row of sync_state: the topic and callback
asked for, when, and once the hub checked it, the lease and when it ends. The job worker sends
the subscriptions that are missing or end within RENEW_BEFORE every FANLENS_YOUTUBE_WEBSUB_CRON.
"""

from __future__ import annotations

import hmac
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from xml.etree import ElementTree

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from fanlens.config import settings
from fanlens.connectors import credentials, repository
from fanlens.connectors.base import Record, Stream, checked_time, convert, require_text
from fanlens.connectors.models import Account
from fanlens.db.engine import unit_of_work
from fanlens.interactions.ingest import ingest_records
from fanlens.kit.errors import InvalidInput
from fanlens.kit.http import HttpClient, HttpError, HttpOptions, RetriesExhausted
from fanlens.kit.logging import kv
from fanlens.kit.timeutil import parse_rfc3339, to_rfc3339

log = logging.getLogger(__name__)

PLATFORM = "youtube"
TOPIC = "https://www.youtube.com/xml/feeds/videos.xml?channel_id={channel}"
LEASE_SECONDS = 432_000  # asked for (five days); the hub says what it grants
RENEW_BEFORE = timedelta(days=1)  # a lease ending sooner is renewed
RETRY_AFTER = timedelta(hours=1)  # a request the hub never confirmed is sent again
SIGNATURE_METHODS = ("sha1", "sha256", "sha384", "sha512")  # WebSub's; Google's hub uses sha1
ATOM = "{http://www.w3.org/2005/Atom}"
YT = "{http://www.youtube.com/xml/schemas/2015}"
TOMBSTONES = "{http://purl.org/atompub/tombstones/1.0}"
VIDEOS = Stream("websub_videos", ("external_post_id",), None)


def topic_for(channel_id: str) -> str:
    return TOPIC.format(channel=channel_id)


def callback_for(account_id: uuid.UUID) -> str | None:
    """Where the hub calls fanlens back for this account (None: FANLENS_PUBLIC_URL unset)."""
    if not settings.public_url:
        return None
    return f"{settings.public_url.rstrip('/')}/webhooks/youtube?account={account_id}"


def secret_for(account_id: uuid.UUID) -> str:
    return credentials.derived_secret(f"youtube-websub:{account_id}")


def signature_ok(body: bytes, header: str | None, secret: str) -> bool:
    """`X-Hub-Signature: <method>=<hex>` over the raw body, compared in constant time."""
    method, _, signature = (header or "").strip().partition("=")
    if method.lower() not in SIGNATURE_METHODS or not signature:
        return False
    expected = hmac.new(secret.encode(), body, method.lower()).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.strip().lower().encode())


# -- subscribing ---------------------------------------------------------------------------


def subscribe_due(
    now: datetime, *, engine: Engine | None = None, http: HttpOptions | None = None
) -> list[dict[str, Any]]:
    """Send the subscription of every active YouTube account that has none, whose lease ends
    within RENEW_BEFORE, or whose request the hub has not confirmed for RETRY_AFTER."""
    if not settings.public_url:
        log.info("YouTube push notifications off: FANLENS_PUBLIC_URL is unset")
        return []
    with unit_of_work(engine) as session:
        accounts = [
            a
            for a in repository.list_accounts(session)
            if a.platform == PLATFORM and a.status == "active"
        ]
        due = [(a.id, a.external_id) for a in accounts if _due(_subscription(session, a.id), now)]
    return [
        subscribe(account_id, channel, now, engine=engine, http=http) for account_id, channel in due
    ]


def _due(state: dict[str, Any], now: datetime) -> bool:
    requested, verified = _time(state, "requested_at"), _time(state, "verified_at")
    waiting = requested is not None and (verified is None or verified < requested)
    if waiting and now - requested < RETRY_AFTER:  # type: ignore[operator]
        return False
    ends = _time(state, "expires_at")
    return waiting or ends is None or ends - now <= RENEW_BEFORE


def subscribe(
    account_id: uuid.UUID,
    channel_id: str,
    now: datetime,
    *,
    engine: Engine | None = None,
    http: HttpOptions | None = None,
) -> dict[str, Any]:
    """Ask the hub for (or renew) the account's subscription. The request is stored first:
    the hub may check the intent before its answer to this POST arrives."""
    callback = callback_for(account_id)
    if callback is None:
        raise InvalidInput("set FANLENS_PUBLIC_URL: the hub must be able to call fanlens back")
    topic = topic_for(channel_id)
    asked = {"topic": topic, "callback": callback, "requested_at": to_rfc3339(now)}
    _update(engine, account_id, asked)
    form = {
        "hub.callback": callback,
        "hub.mode": "subscribe",
        "hub.topic": topic,
        "hub.lease_seconds": str(LEASE_SECONDS),
        "hub.secret": secret_for(account_id),
    }
    error = _send(form, http)
    _update(engine, account_id, {"error": error})
    level = logging.WARNING if error else logging.INFO
    log.log(level, "websub subscribe %s", kv(account=account_id, topic=topic, error=error))
    return {"account_id": str(account_id), "topic": topic, "error": error}


def _send(form: dict[str, str], http: HttpOptions | None) -> str | None:
    """POST the request; None when the hub accepted it (202, or 204 once verified)."""
    options = http or HttpOptions(follow_redirects=False)
    with HttpClient(options=options) as client:
        try:
            response = client.post(settings.youtube_hub_url, data=form)
        except (RetriesExhausted, HttpError) as exc:
            return f"the hub did not answer: {exc}"
    if response.status_code in (202, 204):
        return None
    return f"the hub answered HTTP {response.status_code}: {response.text[:200]}"


def _update(engine: Engine | None, account_id: uuid.UUID, changes: dict[str, Any]) -> None:
    with unit_of_work(engine) as session:
        state = {**_subscription(session, account_id), **changes}
        repository.save_state(session, account_id, repository.WEBSUB_STATE, state)


def _subscription(session: Session, account_id: uuid.UUID) -> dict[str, Any]:
    return repository.load_states(session, account_id).get(repository.WEBSUB_STATE, {})


def _time(state: dict[str, Any], name: str) -> datetime | None:
    try:
        return parse_rfc3339(state[name])
    except (KeyError, TypeError, ValueError):
        return None


# -- the hub's checks ----------------------------------------------------------------------


def confirm(
    session: Session,
    *,
    account_id: uuid.UUID,
    mode: str | None,
    topic: str | None,
    lease_seconds: str | None,
    now: datetime,
) -> bool:
    """The hub checks that fanlens asked for this subscription: yes only for the topic asked
    for an active YouTube account; then the lease it granted is kept."""
    account = repository.get_account(session, account_id)
    state = _subscription(session, account_id) if account is not None else {}
    if mode != "subscribe" or not _asked(account, state, topic):
        return False
    lease = int(lease_seconds) if lease_seconds and lease_seconds.isdigit() else None
    granted = {
        "verified_at": to_rfc3339(now),
        "lease_seconds": lease,
        "expires_at": to_rfc3339(now + timedelta(seconds=lease)) if lease else None,
        "error": None,
    }
    repository.save_state(session, account_id, repository.WEBSUB_STATE, {**state, **granted})
    return True


def deny(session: Session, *, account_id: uuid.UUID, topic: str | None, reason: str | None) -> bool:
    """The hub refused the subscription (`hub.mode=denied`): kept as its error."""
    account = repository.get_account(session, account_id)
    state = _subscription(session, account_id) if account is not None else {}
    if not _asked(account, state, topic):
        return False
    error = f"the hub denied the subscription: {reason or 'no reason given'}"
    repository.save_state(session, account_id, repository.WEBSUB_STATE, {**state, "error": error})
    return True


def _asked(account: Account | None, state: dict[str, Any], topic: str | None) -> bool:
    return (
        account is not None
        and account.platform == PLATFORM
        and account.status == "active"
        and topic is not None
        and state.get("topic") == topic
    )


# -- notifications -------------------------------------------------------------------------


@dataclass
class Notification:
    """What one notification did: videos announced, posts new to fanlens, deleted videos,
    entries rejected (kept in ingest rejects), and whether a sync was queued."""

    videos: int = 0
    stored: int = 0
    deleted: int = 0
    rejected: int = 0
    to_sync: list[uuid.UUID] = field(default_factory=list)


def subscribed_account(session: Session, account_id: uuid.UUID) -> Account | None:
    """The account a notification is for, when fanlens holds its subscription."""
    account = repository.get_account(session, account_id)
    if account is None or account.platform != PLATFORM:
        return None
    return account if _subscription(session, account_id).get("topic") else None


def notification(session: Session, account: Account, body: bytes) -> Notification:
    """Store the videos of a (signature-checked) notification as the account's posts."""
    entries, deleted = parse_feed(body)
    outcome = Notification(videos=len(entries), deleted=len(deleted))
    for ref in deleted:
        log.info("youtube video deleted %s", kv(account=account.id, ref=ref))
    records, rejects = convert(VIDEOS, entries, lambda e: [video_record(e, account.external_id)])
    source = f"webhook:youtube:{account.id}"
    if rejects:
        repository.store_rejects(
            session, workspace_id=account.workspace_id, source=source, rejects=rejects
        )
    outcome.rejected = len(rejects)
    if records:
        summary = ingest_records(
            session, workspace_id=account.workspace_id, records=records, source=source
        )
        outcome.stored = summary.posts_created
        outcome.rejected += len(summary.rejects)
        if account.status == "active":
            outcome.to_sync = [account.id]
    return outcome


def parse_feed(body: bytes) -> tuple[list[ElementTree.Element], list[str]]:
    """The `<entry>` elements and the `ref` of each `<at:deleted-entry>` of an Atom feed."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        raise InvalidInput(f"the notification is not XML: {exc}") from exc
    if root.tag != ATOM + "feed":
        raise InvalidInput(
            "a YouTube notification is an Atom <feed> (xmlns http://www.w3.org/2005/Atom)"
        )
    deleted = [str(e.get("ref") or "") for e in root.findall(TOMBSTONES + "deleted-entry")]
    return root.findall(ATOM + "entry"), deleted


def video_record(entry: ElementTree.Element, channel_id: str) -> Record:
    """An entry as the account's post: the video's id, title and exact publication time."""
    video_id = require_text(entry.findtext(YT + "videoId"), "yt:videoId")
    owner = entry.findtext(YT + "channelId")
    if owner != channel_id:
        raise ValueError(f"yt:channelId {owner!r} is not the account's channel {channel_id!r}")
    record: Record = {
        "type": "post",
        "platform": PLATFORM,
        "external_post_id": video_id,
        "url": f"https://www.youtube.com/watch?v={video_id}",
        "posted_at": checked_time(entry.findtext(ATOM + "published")),
    }
    title = entry.findtext(ATOM + "title")
    if title:
        record["caption"] = title
    return record
