"""One error shape for every failure: {"error": {"code", "message", "details"}}."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

from fanlens.kit.errors import FanlensError

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
}
RETRY_AFTER_SECONDS = 5
UNAVAILABLE_MESSAGE = "the database is unavailable; retry in a few seconds"
# What SQLAlchemy and psycopg raise when the server cannot be reached (refused, closed, restarting)
# or the pool has no connection to give: the request may succeed later, so 503, not 500.
DATABASE_DOWN = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError,
                 psycopg.OperationalError, psycopg.InterfaceError)  # fmt: skip


def error_response(
    status: int,
    code: str,
    message: str,
    details: Any = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": details}}
    return JSONResponse(body, status_code=status, headers=headers)


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    # ("query", "limit") -> "limit"; ("body", 0, "type") -> "0.type"
    parts = [str(p) for p in loc[1:]] if len(loc) > 1 else [str(p) for p in loc]
    return ".".join(parts)


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = [
        {
            "field": _field_name(err.get("loc", ())),
            "in": str(err.get("loc", ("",))[0]),
            "message": err.get("msg", "invalid"),
        }
        for err in exc.errors()
    ]
    fields = ", ".join(sorted({d["field"] for d in details})) or "request"
    return error_response(422, "validation_error", f"invalid value for: {fields}", details)


async def _domain(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, FanlensError)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
    return error_response(exc.status_code, exc.code, exc.message, exc.details, headers)


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400:
        # FastAPI's answer to a body it cannot parse (bad JSON, bad encoding): a body that does
        # not fit its schema, so the one validation shape every operation documents.
        details = [{"field": "body", "in": "body", "message": str(exc.detail)}]
        return error_response(422, "validation_error", "invalid value for: body", details)
    code = HTTP_CODES.get(exc.status_code, "error")
    return error_response(exc.status_code, code, str(exc.detail), None, exc.headers)


def database_down(exc: BaseException) -> bool:
    """Whether `exc` says the database cannot be reached now (not that a statement failed)."""
    if isinstance(exc, sa_exc.TimeoutError):  # no pooled connection freed in time
        return True
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated:
            return True
        exc = exc.orig or exc
    if isinstance(exc, psycopg.InterfaceError):  # the connection is closed
        return True
    if isinstance(exc, psycopg.OperationalError):
        # No SQLSTATE: the connection failed; class 08 connection exception; 57P01-57P03 the
        # server is shutting down or starting. Others (deadlock, serialization) are statements.
        state = exc.sqlstate
        return state is None or state.startswith(("08", "57P0"))
    return False


def unavailable_response() -> JSONResponse:
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return error_response(503, "unavailable", UNAVAILABLE_MESSAGE, None, headers)


async def _database(request: Request, exc: Exception) -> JSONResponse:
    if not database_down(exc):
        raise exc  # a failed statement stays the server's error (500 with its request id)
    return unavailable_response()


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(FanlensError, _domain)
    app.add_exception_handler(StarletteHTTPException, _http)
    for exc_class in DATABASE_DOWN:
        app.add_exception_handler(exc_class, _database)
