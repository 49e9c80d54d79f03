"""Security headers on every response (pages, API, static files, errors).

Scripts may only come from fanlens itself (no inline script, no eval). Styles allow inline
style attributes because the chart library sets them while drawing; no script runs from them.
The interactive API docs (/docs, /redoc) load Swagger UI and ReDoc from fanlens itself; Swagger
UI starts with one inline script, allowed by its hash, and ReDoc runs its search in a worker
made from a blob, so those two pages get a policy that allows exactly that.

Everything but the static files is `Cache-Control: no-store`: pages and API answers hold one
workspace's data, which no browser cache or shared proxy should keep after logout.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fanlens.web.api_docs import SWAGGER_INIT_SOURCE

PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
DOCS_POLICY = (
    f"default-src 'self'; script-src 'self' {SWAGGER_INIT_SOURCE}; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
DOCS_PATHS = ("/docs", "/redoc")
STATIC = "/static/"
COMMON = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        policy = DOCS_POLICY if path in DOCS_PATHS else PAGE_POLICY

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in COMMON if n not in present]
                if not path.startswith(STATIC) and b"cache-control" not in present:
                    extra.append((b"cache-control", b"no-store"))
                extra.append((b"content-security-policy", policy.encode()))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
