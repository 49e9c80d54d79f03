"""Webhook deliveries: platform notifications checked, mapped to connected accounts and stored.

Instagram (Graph API webhooks, developers.facebook.com/docs/graph-api/webhooks): a delivery is
`{"object": "instagram", "entry": [{"id": <IG professional account id>, "time": <when Meta sent
it>, "changes": [{"field": "comments", "value": {"id", "text", "from": {"id", "username"},
"media": {"id", "media_product_type"}, "parent_id"?}}]}]}`, signed with `X-Hub-Signature-256:
sha256=<hex HMAC-SHA256 of the raw body keyed with the app secret>`. The comment value carries no
time of its own and `entry.time` is when Meta sent the notification, not when the fan wrote, so
a comment from a webhook is stored with its observed time (the ingest pipeline's `observed`
precision). Its type and id are the ones the poller gives the same comment, so whichever stores
it first makes the other's copy a duplicate, and the poll's copy then gives it its exact time
(see fanlens.interactions.ingest). A `mentions` change (`{"media_id", "comment_id"}` for a
mention in a comment, `{"media_id"}` for one in a caption) carries ids only: the mention's
text, author and exact `timestamp` are read from the Graph API
(fanlens.connectors.instagram.InstagramConnector.mention_record) with an active account's
token, and it is stored as a `mention`.

TikTok (developers.tiktok.com/doc/webhooks-events): a delivery is one event, `{"client_key",
"event", "create_time", "user_openid", "content": "<JSON string>"}`, signed with `TikTok-Signature:
t=<unix seconds>,s=<hex HMAC-SHA256 of "<t>.<raw body>" keyed with the client secret>`. No event
carries comments or likes (those stay with the poll); `authorization.removed` flags the account
`needs_reauth` (its token is already revoked) and `video.publish.completed` queues a sync of the
account, so the new video is read within a minute instead of at the next scheduled sync.

One entry or change that cannot be stored never fails the delivery: a malformed change goes to
the account's ingest rejects, an entry of no connected account is reported in the answer (there
is no workspace to keep it in). Changes of fields fanlens does not collect are counted as
ignored.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from fanlens.connectors import instagram, repository, service
from fanlens.connectors.base import (
    ConnectorError,
    Record,
    Reject,
    Stream,
    convert,
    require_text,
)
from fanlens.connectors.models import Account
from fanlens.interactions.ingest import ingest_records
from fanlens.kit.errors import InvalidInput
from fanlens.kit.http import HttpOptions
from fanlens.kit.logging import kv

log = logging.getLogger(__name__)

TIKTOK_PLATFORM = "tiktok"
TIKTOK_TOLERANCE_SECONDS = 300  # an older signature timestamp is a replay
REMOVED_REASONS = {  # authorization.removed `reason`, as TikTok documents it
    0: "unknown reason",
    1: "the user disconnected fanlens in the TikTok app",
    2: "the user's account was deleted",
    3: "the user's age changed",
    4: "the user's account was banned",
    5: "the developer revoked the authorization",
}

INSTAGRAM_FIELDS = ("comments", "mentions")  # the rest is ignored
WEBHOOK_COMMENTS = Stream("webhook_comments", ("external_id",), None)
WEBHOOK_MENTIONS = Stream("webhook_mentions", ("external_id",), None)


@dataclass
class EntryProblem:
    """An entry that could not be stored at all (no account to keep it under)."""

    entry: int
    code: str
    message: str


@dataclass
class Delivery:
    """What one delivery did: changes received, interactions stored (new ones only), changes
    rejected (kept in ingest rejects) or ignored (other fields), and entries not stored."""

    changes: int = 0
    stored: int = 0
    rejected: int = 0
    ignored: int = 0
    problems: list[EntryProblem] = field(default_factory=list)
    workspaces: set[uuid.UUID] = field(default_factory=set)  # where something new was stored


def hub_signature_ok(body: bytes, header: str | None, secret: str) -> bool:
    """`X-Hub-Signature-256: sha256=<hex>` over the raw body, compared in constant time."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header[len("sha256=") :].strip().encode())


def tiktok_signature_ok(body: bytes, header: str | None, secret: str, now: float) -> bool:
    """`TikTok-Signature: t=<seconds>,s=<hex>` over `<t>.<body>`, compared in constant time;
    a timestamp more than TIKTOK_TOLERANCE_SECONDS from `now` fails (a replayed delivery)."""
    parts = dict(p.strip().split("=", 1) for p in (header or "").split(",") if "=" in p)
    stamp, signature = parts.get("t", ""), parts.get("s", "")
    if not stamp.isdigit() or not signature or abs(now - int(stamp)) > TIKTOK_TOLERANCE_SECONDS:
        return False
    signed = stamp.encode() + b"." + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.encode())


def load_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError as exc:  # UnicodeDecodeError is a ValueError too
        raise InvalidInput(f"the delivery is not JSON: {exc}") from exc


def instagram_delivery(session: Session, payload: Any) -> Delivery:
    """Store the comments of an Instagram delivery under every account they belong to."""
    if not isinstance(payload, dict) or payload.get("object") != "instagram":
        raise InvalidInput('an Instagram delivery is an object with "object": "instagram"')
    entries = payload.get("entry")
    if not isinstance(entries, list):
        raise InvalidInput('an Instagram delivery has an "entry" list')
    delivery = Delivery()
    for number, entry in enumerate(entries):
        _instagram_entry(session, number, entry, delivery)
    return delivery


def _instagram_entry(session: Session, number: int, entry: Any, delivery: Delivery) -> None:
    changes = entry.get("changes") if isinstance(entry, dict) else None
    account_id = entry.get("id") if isinstance(entry, dict) else None
    if not isinstance(account_id, str) or not account_id or not isinstance(changes, list):
        message = 'an entry is an object with an "id" string and a "changes" list'
        delivery.problems.append(EntryProblem(number, "malformed_entry", message))
        return
    delivery.changes += len(changes)
    accounts = repository.accounts_by_external_id(
        session, platform=instagram.PLATFORM, external_id=account_id
    )
    if not accounts:
        message = f"no connected Instagram account has the id {account_id}"
        delivery.problems.append(EntryProblem(number, "unknown_account", message))
        log.warning("webhook for an unknown account %s", kv(platform="instagram", id=account_id))
        return
    wanted = [c for c in changes if isinstance(c, dict) and c.get("field") in INSTAGRAM_FIELDS]
    delivery.ignored += len(changes) - len(wanted)
    comments = [c for c in wanted if c["field"] == "comments"]
    records, rejects = convert(
        WEBHOOK_COMMENTS, comments, lambda c: _comment_records(c, account_id)
    )
    mentions = [c for c in wanted if c["field"] == "mentions"]
    if mentions:
        found, failed = _mention_records(accounts, mentions)
        records, rejects = [*records, *found], [*rejects, *failed]
    delivery.rejected += len(rejects)
    for account in accounts:
        source = f"webhook:instagram:{account.id}"
        _store(session, account.workspace_id, source, records, rejects, delivery)


def _comment_records(change: dict[str, Any], creator_id: str) -> list[Record]:
    value = change["value"]
    parent = value.get("parent_id")
    media_id = require_text(value["media"]["id"], "media.id")
    record = instagram.comment_record(
        value,
        media_id,
        creator_id=creator_id,
        parent=require_text(parent, "parent_id") if parent is not None else None,
        timestamp=None,  # the comment value has no time: stored as observed
    )
    return [record] if record else []


def _mention_records(
    accounts: list[Account], changes: list[dict[str, Any]]
) -> tuple[list[Record], list[Reject]]:
    """The mentions of an entry, read with the first active account's token (every account of
    the entry is the same Instagram user, so one read serves every workspace)."""
    account = next((a for a in accounts if a.status == "active"), None)
    if account is None:
        error = "no active account to read the mention with; reconnect the Instagram account"
        return [], [Reject(WEBHOOK_MENTIONS.name, json.dumps(c), error) for c in changes]
    options = HttpOptions(max_retries=1)
    connector = instagram.InstagramConnector.from_account(service.config(account), options)
    try:
        return convert(WEBHOOK_MENTIONS, changes, lambda c: _mention(connector, c))
    finally:
        connector.close()


def _mention(connector: instagram.InstagramConnector, change: dict[str, Any]) -> list[Record]:
    try:
        record = connector.mention_record(change["value"])
    except ConnectorError as exc:  # kept as a reject with the platform's reason
        raise ValueError(f"the mention could not be read from Instagram: {exc.message}") from exc
    return [record] if record else []


def _store(
    session: Session,
    workspace_id: uuid.UUID,
    source: str,
    records: list[Record],
    rejects: list[Reject],
    delivery: Delivery,
) -> None:
    if rejects:
        repository.store_rejects(session, workspace_id=workspace_id, source=source, rejects=rejects)
    if not records:
        return
    summary = ingest_records(session, workspace_id=workspace_id, records=records, source=source)
    delivery.rejected += len(summary.rejects)
    delivery.stored += summary.interactions_inserted
    if summary.interactions_inserted:
        delivery.workspaces.add(workspace_id)


@dataclass
class TikTokEvent:
    """What one TikTok delivery did: its event, the accounts it concerned and what was done."""

    event: str
    accounts: int = 0
    action: str = "ignored"  # needs_reauth | sync_requested | ignored
    problems: list[EntryProblem] = field(default_factory=list)
    to_sync: list[uuid.UUID] = field(default_factory=list)


def tiktok_delivery(session: Session, payload: Any) -> TikTokEvent:
    """Apply a TikTok event to every connected account of its `user_openid`."""
    if not isinstance(payload, dict) or not isinstance(payload.get("event"), str):
        raise InvalidInput('a TikTok delivery is an object with an "event" string')
    outcome = TikTokEvent(event=payload["event"])
    open_id = payload.get("user_openid")
    if not isinstance(open_id, str) or not open_id:
        message = 'a TikTok delivery names its user in "user_openid"'
        outcome.problems.append(EntryProblem(0, "malformed_entry", message))
        return outcome
    accounts = repository.accounts_by_external_id(
        session, platform=TIKTOK_PLATFORM, external_id=open_id
    )
    if not accounts:
        message = f"no connected TikTok account has the open_id {open_id}"
        outcome.problems.append(EntryProblem(0, "unknown_account", message))
        log.warning("webhook for an unknown account %s", kv(platform="tiktok", id=open_id))
        return outcome
    outcome.accounts = len(accounts)
    if outcome.event == "authorization.removed":
        code = _content(payload).get("reason")
        reason = REMOVED_REASONS.get(code if isinstance(code, int) else 0, "unknown reason")
        for account in accounts:
            message = f"TikTok: access removed ({reason}); reconnect the account"
            repository.set_account_status(
                session, account.id, status="needs_reauth", last_error=message
            )
        outcome.action = "needs_reauth"
    elif outcome.event == "video.publish.completed":
        outcome.to_sync = [a.id for a in accounts if a.status == "active"]
        outcome.action = "sync_requested"
    return outcome


def _content(payload: dict[str, Any]) -> dict[str, Any]:
    """`content` is a JSON object serialised into a string."""
    try:
        content = json.loads(payload.get("content") or "{}")
    except (TypeError, ValueError):
        return {}
    return content if isinstance(content, dict) else {}
