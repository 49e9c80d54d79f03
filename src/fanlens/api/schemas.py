"""Shapes shared by every router: the error body, response examples and links."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorBody(BaseModel):
    code: str = Field(description="Machine-readable: not_found, validation_error, unauthorized, …")
    message: str
    details: Any = Field(default=None, description="For validation errors: one entry per field.")


class ErrorResponse(BaseModel):
    error: ErrorBody


API_PREFIX = "/api/social-analytics"  # where api/router.py mounts every domain's router


def link(path: str, method: str, description: str, **parameters: str) -> dict[str, Any]:
    """An OpenAPI link from a response to the operation at API_PREFIX + `path`, its parameters
    taken from the response (`$response.body#/id`). By path, so renaming an operation id
    cannot break it; clients and fuzzers follow it from the created or listed item."""
    pointer = (API_PREFIX + path).replace("~", "~0").replace("/", "~1")
    ref = f"#/paths/{pointer}/{method}"
    return {"operationRef": ref, "parameters": parameters, "description": description}


def error_response(description: str) -> dict[str, Any]:
    """One error status of a route in the OpenAPI document: the error shape and what it means."""
    return {"model": ErrorResponse, "description": description}


# Declared on every API route so the OpenAPI document lists the error shape for each status
# (declaring 422 here also replaces FastAPI's default validation-error schema).
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: error_response("Missing, invalid or revoked token"),
    403: error_response("The token's scope does not allow this"),
    404: error_response("Not found in this workspace"),
    422: error_response("A parameter is invalid; details name the field"),
    503: error_response("The database is unavailable; retry after the Retry-After seconds"),
}

BAD_BODY: dict[int | str, dict[str, Any]] = {400: error_response("The body is not JSON")}

CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "A page of items as JSON, or every matching item as CSV "
        "(`format=csv` or `Accept: text/csv`).",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}


def csv_list_response(path: str, description: str, id_parameter: str) -> dict[int | str, Any]:
    """CSV_RESPONSE for a list whose first item links to its own operation at `path`."""
    first = link(path, "get", description, **{id_parameter: "$response.body#/items/0/id"})
    return {200: {**CSV_RESPONSE[200], "links": {"first": first}}}
