"""Request id, Prometheus metrics, and the last-resort 500 in the shared error shape.

A plain ASGI middleware (not BaseHTTPMiddleware) so streamed CSV bodies pass straight through.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from prometheus_client import Counter, Histogram
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fanlens.api import errors

log = logging.getLogger("fanlens.api")
REQUEST_ID_HEADER = "x-request-id"
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")

REQUESTS = Counter("fanlens_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "fanlens_http_request_duration_seconds",
    "Time to the response's first byte",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def _incoming_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            if _SAFE_ID.match(text):  # echo a caller's id only when it is harmless in logs
                return text
    return uuid.uuid4().hex


def _route(scope: Scope) -> str:
    route = scope.get("route")
    return str(getattr(route, "path", None) or "unmatched")


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status: dict[str, Any] = {"code": 500, "sent": False}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"], status["sent"] = message["status"], True
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER.encode(), request_id.encode()))
                message["headers"] = headers
                LATENCY.labels(scope["method"], _route(scope)).observe(
                    time.perf_counter() - started
                )
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            if not status["sent"] and errors.database_down(exc):  # e.g. a stream's first read
                log.warning("database unavailable (request id %s): %s", request_id, exc)
                await errors.unavailable_response()(scope, receive, send_with_id)
                return
            log.exception("unhandled error (request id %s)", request_id)
            if status["sent"]:
                raise
            await _send_500(send_with_id, request_id)
        finally:
            REQUESTS.labels(scope["method"], _route(scope), str(status["code"])).inc()


async def _send_500(send: Send, request_id: str) -> None:
    body = json.dumps(
        {
            "error": {
                "code": "internal_error",
                "message": "unexpected server error",
                "details": {"request_id": request_id},
            }
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


MAX_BODY_BYTES = 1024 * 1024  # any request body but ingest's (which allows 16 MiB)


class BodyLimitMiddleware:
    """Refuse a request body over its limit (413) before it is read whole: a 50 MB template
    would otherwise be parsed before its schema says it is too long."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES, ingest_limit: int = 0) -> None:
        self.app, self.limit, self.ingest_limit = app, limit, ingest_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.ingest_limit if scope["path"].endswith("/ingest") else self.limit
        declared = dict(scope.get("headers", [])).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _too_large(limit)(scope, receive, send)
            return
        read = 0

        async def counted() -> Message:
            nonlocal read
            message = await receive()
            read += len(message.get("body", b""))
            if read > limit:  # a chunked body without a length
                raise HTTPException(413, f"the request body is over {limit} bytes")
            return message

        await self.app(scope, counted, send)


def _too_large(limit: int) -> ASGIApp:
    message = f"the request body is over {limit} bytes"
    return errors.error_response(413, "payload_too_large", message)
