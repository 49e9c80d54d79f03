"""Channels: how one rendered message leaves. Each `send` either returns what the receiver
answered (kept in the audit log) or raises DeliveryError, transient (try again later) or
permanent (give up).

Exactly-once, per channel (see README "Outreach: delivery guarantees"):
- webhook: the outbox row's id is the Idempotency-Key header of every attempt, so a retry after
  a crash is recognised by the receiver (at-least-once delivery, exactly-once effect);
- email: the Message-ID is derived from the row's id, the same on every attempt; SMTP has no
  idempotency, so a resend after a crash between the server's 250 and our commit would deliver
  a second copy with the same Message-ID (at-least-once; FANLENS_OUTREACH_SMTP_RESEND_UNCERTAIN
  =false makes it at-most-once: such a message is marked failed for a person to check);
- platform replies: YouTube has no idempotency upstream, so an interrupted reply is never
  repeated (at-most-once); Mastodon (Idempotency-Key) and Bluesky (a record key derived from the
  row's id) recognise a resend, so theirs is repeated (exactly-once effect);
- csv: nothing leaves the machine; the export is the message.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import ssl
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any, Protocol

from fanlens.config import settings
from fanlens.kit.http import HttpClient, HttpError, HttpOptions


class DeliveryError(Exception):
    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent


@dataclass(frozen=True)
class Outgoing:
    recipient_id: str
    campaign_id: str
    person_id: str
    channel: str
    address: str | None
    subject: str | None
    body: str
    options: dict[str, Any] = field(default_factory=dict)


class Channel(Protocol):
    # May an attempt interrupted by a crash be made again? (see the module docstring)
    resend_uncertain: bool

    def send(self, message: Outgoing) -> dict[str, Any]: ...


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over "<timestamp>.<body>", hex; the receiver recomputes it."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class WebhookChannel:
    resend_uncertain = True

    def __init__(self, url: str, secret: str) -> None:
        self.url = url
        self.secret = secret
        # One connection pool for the run; one attempt per send (the job retries later).
        self._http = HttpClient(options=HttpOptions(timeout=_timeout(), follow_redirects=False))

    def close(self) -> None:
        self._http.close()

    def send(self, message: Outgoing) -> dict[str, Any]:
        body = json.dumps(
            {
                "id": message.recipient_id,
                "campaign_id": message.campaign_id,
                "person_id": message.person_id,
                "subject": message.subject,
                "message": message.body,
                "address": message.address,
            },
            separators=(",", ":"),
        ).encode()
        stamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": message.recipient_id,
            "X-Fanlens-Timestamp": stamp,
            "X-Fanlens-Signature": sign(self.secret, stamp, body),
        }
        try:
            response = self._http.write_once(self.url, content=body, headers=headers)
        except HttpError as exc:
            raise DeliveryError(f"webhook: {exc!r}", permanent=False) from exc
        if response.status_code in (408, 409, 425, 429) or response.status_code >= 500:
            raise DeliveryError(f"webhook answered {response.status_code}", permanent=False)
        if response.status_code >= 400:
            raise DeliveryError(f"webhook answered {response.status_code}", permanent=True)
        return {"status_code": response.status_code}


def message_id(recipient_id: str) -> str:
    domain = settings.outreach_smtp_from.rpartition("@")[2] or "fanlens.local"
    return f"<outreach.{recipient_id}@{domain}>"


class EmailChannel:
    def __init__(self) -> None:
        self.resend_uncertain = settings.outreach_smtp_resend_uncertain
        if not settings.outreach_smtp_host:
            raise DeliveryError("FANLENS_OUTREACH_SMTP_HOST is not set", permanent=True)

    def _message(self, message: Outgoing) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = settings.outreach_smtp_from
        mail["To"] = message.address or ""
        mail["Subject"] = message.subject or ""
        mail["Message-ID"] = message_id(message.recipient_id)
        mail["Date"] = format_datetime(datetime.now(UTC))
        mail.set_content(message.body)
        return mail

    def _connect(self) -> smtplib.SMTP:
        host, port, tls = (
            settings.outreach_smtp_host or "",
            settings.outreach_smtp_port,
            settings.outreach_smtp_tls,
        )
        if tls == "ssl":
            return smtplib.SMTP_SSL(
                host, port, timeout=_timeout(), context=ssl.create_default_context()
            )
        client = smtplib.SMTP(host, port, timeout=_timeout())
        if tls == "starttls":
            client.starttls(context=ssl.create_default_context())
        return client

    def send(self, message: Outgoing) -> dict[str, Any]:
        mail = self._message(message)
        try:
            with self._connect() as client:
                if settings.outreach_smtp_user:
                    password = settings.outreach_smtp_password
                    client.login(
                        settings.outreach_smtp_user, password.get_secret_value() if password else ""
                    )
                refused = client.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise DeliveryError(
                f"smtp refused: {codes}", permanent=all(c >= 500 for c in codes)
            ) from exc
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(
                f"smtp {exc.smtp_code}: {exc.smtp_error!r}", permanent=exc.smtp_code >= 500
            ) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"smtp: {exc!r}", permanent=False) from exc
        if refused:
            raise DeliveryError(f"smtp refused: {refused}", permanent=True)
        return {"message_id": mail["Message-ID"]}


class CsvChannel:
    """Messages for a person to send by hand: `send` only marks the row; export reads them."""

    resend_uncertain = True

    def send(self, message: Outgoing) -> dict[str, Any]:
        return {"exported": True}


def _timeout() -> float:
    return settings.http_timeout
