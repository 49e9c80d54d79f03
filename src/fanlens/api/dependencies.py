"""How an API endpoint gets its session and caller.

- `workspace_endpoint`: the one way an API endpoint reaches the database. The endpoint is a
  plain function taking `session` and `principal` (the authenticated caller; `.workspace_id`
  scopes every query); the token check, the endpoint and the commit run in one worker-thread
  hop (see `in_one_hop`). `write=True` answers 403 unless the token has the `write` scope.
- `in_one_hop`: the same, called directly by an `async` endpoint that first awaits its body.
- `Session`: the request's SQLAlchemy session for the dashboard pages; committed once when the
  route returns (before the response is sent), rolled back on any error. Services only flush.

With a read replica configured, a GET or HEAD request's session reads there (`request_factory`,
see fanlens.api.replicas); `session_factory_of` is always the primary's (writes, LISTEN).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable, Iterator
from inspect import Parameter, Signature, signature
from typing import Annotated, Any, TypeVar, get_type_hints

from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import sessionmaker

from fanlens.api.replicas import RecentWriters, read_factory
from fanlens.auth import service as auth_service
from fanlens.auth.service import Principal
from fanlens.db.engine import Replica, committed, session_factory
from fanlens.interactions import live
from fanlens.kit.errors import Forbidden, Unauthorized


def session_factory_of(request: Request) -> sessionmaker[OrmSession]:
    factory: sessionmaker[OrmSession] | None = request.app.state.session_factory
    if factory is None:  # first request: bind to the configured (maybe embedded) database
        factory = request.app.state.session_factory = session_factory()
    return factory


def replica_of(request: Request) -> Replica | None:
    """The app's read replica, bound to the primary on the first request; None without one."""
    state = request.app.state
    engine = getattr(state, "replica_engine", None)  # an app not made by create_app has none
    if engine is None:
        return None
    replica: Replica | None = state.replica
    if replica is None:
        replica = state.replica = Replica(engine, session_factory_of(request).kw["bind"])
    return replica


def request_factory(request: Request) -> Callable[[], OrmSession]:
    """What opens this request's session: the replica's for a read, else the primary's."""
    primary, replica = session_factory_of(request), replica_of(request)
    if replica is None:
        return primary
    writers: RecentWriters = request.app.state.recent_writers
    return read_factory(request, primary, replica, writers)


def get_session(request: Request) -> Iterator[OrmSession]:
    with committed(request_factory(request)) as session:
        yield session


# scope="function": the commit happens when the route returns, so a client never receives a
# success for work that then fails to commit. Streamed exports read on a connection of their own.
Session = Annotated[OrmSession, Depends(get_session, scope="function")]

_MISSING = "missing bearer token (Authorization: Bearer <token>)"


def _authenticate(
    session: OrmSession, credentials: HTTPAuthorizationCredentials | None
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized(_MISSING)
    return auth_service.authenticate(session=session, secret=credentials.credentials)


class _Bearer(HTTPBearer):
    """The bearer token, checked against the database later, in the endpoint's hop: a request
    without one is refused before its parameters are validated. One dependency that reads the
    header itself (FastAPI solves each level of dependencies on every request) and declares
    the HTTPBearer security scheme in the OpenAPI document."""

    async def __call__(self, request: Request) -> HTTPAuthorizationCredentials:  # type: ignore[override]
        credentials = await super().__call__(request)
        if credentials is None:
            raise Unauthorized(_MISSING)
        return credentials


bearer_token = _Bearer(
    scheme_name="HTTPBearer",
    auto_error=False,
    description="A workspace API token (`fanlens token create`).",
)


BearerToken = Annotated[HTTPAuthorizationCredentials, Depends(bearer_token)]


T = TypeVar("T")


async def in_one_hop(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None,
    work: Callable[[OrmSession, Principal], T],
    *,
    write: bool = False,
) -> T:
    """Authenticate and run `work` in a single worker-thread hop, committing once at its end.

    A sync endpoint with session and caller dependencies costs five thread hand-offs (session
    open and close, the token check, the endpoint, the response check), about 0.25 ms of CPU
    each, more than the hot reads themselves. Same commit point and rollback rules as
    `get_session`. The token check's `last_used_at` stamp and the commit run in the same
    thread, so a request holding that row lock never waits on the event loop to release it."""
    factory = request_factory(request)
    return await run_in_threadpool(_unit, factory, credentials, work, write)


def _unit(
    factory: Callable[[], OrmSession],
    credentials: HTTPAuthorizationCredentials | None,
    work: Callable[[OrmSession, Principal], T],
    write: bool,
) -> T:
    with committed(factory) as session:
        principal = _authenticate(session, credentials)
        if write and not principal.can_write:
            raise Forbidden("this token has the read scope; a write-scope token is needed")
        return work(session, principal)


_GIVEN = ("session", "principal")  # what `workspace_endpoint` passes in


def workspace_endpoint(endpoint: Callable[..., T] | None = None, *, write: bool = False) -> Any:
    """Make `endpoint(session, principal, **params)` an async route that runs it `in_one_hop`.

    FastAPI sees the endpoint's own parameters (query, path, body, `Request`,
    `BackgroundTasks`, …) and, in place of `session` and `principal`, the bearer token."""

    def decorate(endpoint: Callable[..., T]) -> Callable[..., Awaitable[T]]:
        hints = get_type_hints(endpoint, include_extras=True)
        own = [
            p.replace(kind=Parameter.KEYWORD_ONLY, annotation=hints.get(p.name, p.annotation))
            for p in signature(endpoint).parameters.values()
            if p.name not in _GIVEN
        ]
        takes_request = any(p.name == "request" for p in own)
        added = [Parameter("credentials", Parameter.KEYWORD_ONLY, annotation=BearerToken)]
        if not takes_request:
            added.append(Parameter("request", Parameter.KEYWORD_ONLY, annotation=Request))

        async def route(**params: Any) -> T:
            credentials = params.pop("credentials")
            request = params["request"] if takes_request else params.pop("request")

            def work(session: OrmSession, principal: Principal) -> T:
                return endpoint(session=session, principal=principal, **params)

            return await in_one_hop(request, credentials, work, write=write)

        # No __wrapped__: FastAPI would follow it and take the sync endpoint for the route.
        for name in ("__module__", "__name__", "__qualname__", "__doc__"):
            setattr(route, name, getattr(endpoint, name))
        returns = hints.get("return", Signature.empty)
        route.__signature__ = Signature(  # type: ignore[attr-defined]
            added + own, return_annotation=None if returns is type(None) else returns
        )
        return route

    return decorate if endpoint is None else decorate(endpoint)


def live_hub(request: Request) -> live.Hub:
    """This process's live hub for the app's database, started on the first watcher. One per
    event loop: a server has one; a test client may run each request on a loop of its own."""
    hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, live.Hub] | None = getattr(
        request.app.state, "live_hubs", None
    )
    if hubs is None:
        hubs = request.app.state.live_hubs = weakref.WeakKeyDictionary()
    loop = asyncio.get_running_loop()
    hub = hubs.get(loop)
    if hub is None:
        hub = hubs[loop] = live.make_hub(session_factory_of(request))
    return hub


def close_live_hubs(app: FastAPI) -> None:
    """End the app's live streams and their listening connections (the app shuts down)."""
    for hub in list(getattr(app.state, "live_hubs", {}).values()):
        hub.close()
