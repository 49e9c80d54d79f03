"""`LeanRoute`: an APIRoute whose reads skip FastAPI's per-request introspection.

On every request FastAPI's handler works out again, for each parameter, what never changes:
its alias, and whether its type is a sequence or a parameter model (`typing` introspection of
the annotation); and it solves the endpoint's dependencies level by level. Called in-process,
activity's nine query parameters took ~100 µs of CPU that way and ~15 µs read as below. A
LeanRoute works these out once, when the route is built; per request it calls the
dependencies, validates each value with FastAPI's own field, location and defaults (so values,
errors and their order are FastAPI's), runs the endpoint and writes the response model as
FastAPI does.

It handles the routes `workspace_endpoint` makes: path and query parameters, dependencies
that take only the request (the bearer token), no body, a response model. Any other route,
and any request while the app has dependency overrides, gets FastAPI's own handler. It uses
FastAPI's private helpers (the version is pinned in constraints.txt); tests/api/
test_lean_route.py asks the same requests of both handlers and fails on any difference.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from inspect import iscoroutinefunction
from typing import Any

from fastapi import Request, Response
from fastapi._compat import ModelField, field_annotation_is_sequence
from fastapi.datastructures import DefaultPlaceholder
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import (
    _get_param_aliases,
    _get_param_model,
    _is_json_field,
    _validate_value_with_model_field,
)
from fastapi.exceptions import RequestValidationError, ResponseValidationError
from fastapi.routing import APIRoute
from fastapi.utils import is_body_allowed_for_status_code
from pydantic_core import PydanticUndefined
from starlette.datastructures import ImmutableMultiDict

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


@dataclass(frozen=True)
class _Param:
    field: ModelField
    where: str  # "path" or "query": the first item of an error's `loc`
    aliases: list[tuple[str, str]]  # (validation alias, request key), in preference order
    sequence: bool  # read with getlist; an empty list counts as absent

    def read(self, received: Any, values: dict[str, Any]) -> tuple[Any, list[Any]]:
        """FastAPI's `request_params_to_args` for this one parameter."""
        _, key = next((a for a in self.aliases if a[1] in received), self.aliases[0])
        value: Any
        if self.sequence and isinstance(received, ImmutableMultiDict):
            value = received.getlist(key)
        else:
            value = received.get(key)
        if value is None or (self.sequence and len(value) == 0):
            value = PydanticUndefined
        return _validate_value_with_model_field(
            field=self.field, value=value, values=values, loc=(self.where, key)
        )


@dataclass(frozen=True)
class _Plan:
    dependencies: list[tuple[str, Callable[..., Any], str]]  # (value name, call, request param)
    path: list[_Param]
    query: list[_Param]


class LeanRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        fastapi_handler = super().get_route_handler()
        plan = _plan(self)
        if plan is None:
            return fastapi_handler
        return _lean_handler(self, plan, fastapi_handler)


def _lean_handler(route: LeanRoute, plan: _Plan, fastapi_handler: Handler) -> Handler:
    call = route.dependant.call
    assert call is not None
    request_name = route.dependant.request_param_name
    response_field = route.response_field
    overrides = route.dependency_overrides_provider

    async def handle(request: Request) -> Response:
        if overrides is not None and getattr(overrides, "dependency_overrides", None):
            return await fastapi_handler(request)
        values: dict[str, Any] = {}
        for name, dependency, request_param in plan.dependencies:
            values[name] = await dependency(**{request_param: request})
        errors = _read(plan.path, request.path_params, values)
        errors += _read(plan.query, request.query_params, values)
        if errors:
            raise RequestValidationError(errors, body=None)
        if request_name:
            values[request_name] = request
        raw = await call(**values)
        if isinstance(raw, Response):
            return raw
        assert response_field is not None
        value, problems = response_field.validate(raw, {}, loc=("response",))
        if problems:
            raise ResponseValidationError(errors=problems, body=raw)
        content = response_field.serialize_json(
            value,
            include=route.response_model_include,
            exclude=route.response_model_exclude,
            by_alias=route.response_model_by_alias,
            exclude_unset=route.response_model_exclude_unset,
            exclude_defaults=route.response_model_exclude_defaults,
            exclude_none=route.response_model_exclude_none,
        )
        return Response(content, route.status_code or 200, media_type="application/json")

    return handle


def _read(params: Sequence[_Param], received: Any, into: dict[str, Any]) -> list[Any]:
    values: dict[str, Any] = {}
    errors: list[Any] = []
    for param in params:
        value, problems = param.read(received, values)
        if problems:
            errors.extend(problems)
        else:
            values[param.field.name] = value
    into.update(values)
    return errors


def _plan(route: APIRoute) -> _Plan | None:
    """What a request of `route` needs, worked out once; None if it needs more than this
    handler does (FastAPI's own handler then answers)."""
    d = route.dependant
    if (
        d.body_params
        or d.header_params
        or d.cookie_params
        or _asks_more_than_request(d)
        or route.body_field is not None
        or route.response_field is None
        or route.stream_item_field is not None
        or not isinstance(route.response_class, DefaultPlaceholder)
        or (route.status_code and not is_body_allowed_for_status_code(route.status_code))
        or not _is_async(d.call)
    ):
        return None
    dependencies = []
    for sub in d.dependencies:
        if (
            sub.name is None
            or sub.dependencies
            or sub.path_params
            or sub.query_params
            or sub.header_params
            or sub.cookie_params
            or sub.body_params
            or _asks_more_than_request(sub)
            or not sub.request_param_name
            or not _is_async(sub.call)
        ):
            return None
        dependencies.append((sub.name, sub.call, sub.request_param_name))
    if len({id(call) for _, call, _ in dependencies}) < len(dependencies):
        return None  # FastAPI calls a repeated dependency once per request
    path = [_param(f, "path") for f in d.path_params]
    query = [_param(f, "query") for f in d.query_params]
    if any(p is None for p in path + query):
        return None
    return _Plan(dependencies, path, query)  # type: ignore[arg-type]


def _asks_more_than_request(d: Dependant) -> bool:
    return bool(
        d.http_connection_param_name
        or d.websocket_param_name
        or d.background_tasks_param_name
        or d.response_param_name
        or d.security_scopes_param_name
    )


def _is_async(call: Any) -> bool:
    """An `async def` function, or an object whose `__call__` is one (as HTTPBearer's)."""
    return iscoroutinefunction(call) or (callable(call) and iscoroutinefunction(call.__call__))


def _param(field: ModelField, where: str) -> _Param | None:
    if _get_param_model(field) is not None:
        return None  # a parameter model reads every key: FastAPI's handler does that
    sequence = not _is_json_field(field) and field_annotation_is_sequence(
        field.field_info.annotation
    )
    return _Param(field, where, _get_param_aliases(field), sequence)
