"""Real receivers started by the tests: an HTTP webhook receiver that checks the HMAC
signature and counts by idempotency key, and an SMTP server (aiosmtpd) counting Message-IDs."""

from __future__ import annotations

import asyncio
import email
import hashlib
import hmac
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from tests.helpers import free_port

SECRET = "test-webhook-secret"


@dataclass
class WebhookReceiver:
    url: str = ""
    secret: str = SECRET
    delay: float = 0.0
    fail_next: int = 0  # answer 500 to this many requests first
    status: int = 200
    raw: list[str] = field(default_factory=list)  # every well-signed POST, by key
    accepted: dict[str, dict[str, Any]] = field(default_factory=dict)  # first body per key
    bad_signatures: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def per_key(self) -> Counter[str]:
        return Counter(self.raw)

    def handle(self, headers: Any, body: bytes) -> int:
        stamp = headers.get("X-Fanlens-Timestamp", "")
        expected = hmac.new(self.secret.encode(), stamp.encode() + b"." + body, hashlib.sha256)
        if not hmac.compare_digest(
            headers.get("X-Fanlens-Signature", ""), "sha256=" + expected.hexdigest()
        ):
            with self.lock:
                self.bad_signatures += 1
            return 401
        time.sleep(self.delay)
        key = headers["Idempotency-Key"]
        with self.lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                return 500
            self.raw.append(key)
            self.accepted.setdefault(key, json.loads(body))  # a repeat is acknowledged, no-op
        return self.status


def start_webhook(receiver: WebhookReceiver) -> Iterator[WebhookReceiver]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(receiver.handle(self.headers, body))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Inbox:
    delay: float = 0.0
    messages: list[dict[str, Any]] = field(default_factory=list)
    port: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(self.delay)
        parsed = email.message_from_bytes(envelope.content)
        self.messages.append(
            {
                "to": list(envelope.rcpt_tos),
                "message_id": parsed["Message-ID"],
                "subject": parsed["Subject"],
                "body": parsed.get_payload(decode=True).decode(),
            }
        )
        return "250 Message accepted for delivery"

    def per_message_id(self) -> Counter[str]:
        return Counter(m["message_id"] for m in self.messages)


def start_smtp(inbox: Inbox) -> Iterator[Inbox]:
    inbox.port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()
