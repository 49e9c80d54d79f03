"""Typed domain errors. The API maps each to a status code; the CLI prints its message."""

from __future__ import annotations

from typing import Any


class FanlensError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(FanlensError):
    status_code = 404
    code = "not_found"


class Conflict(FanlensError):
    status_code = 409
    code = "conflict"


class InvalidInput(FanlensError):
    status_code = 422
    code = "invalid_input"


class Unauthorized(FanlensError):
    status_code = 401
    code = "unauthorized"


class Forbidden(FanlensError):
    status_code = 403
    code = "forbidden"


class PayloadTooLarge(FanlensError):
    status_code = 413
    code = "payload_too_large"
