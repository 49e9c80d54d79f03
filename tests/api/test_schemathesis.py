"""Property-based: every operation of the OpenAPI document, fuzzed in and out of its schema.

Zero 5xx, and every response (errors included) matches the schema declared for its status.
Runs in-process over ASGI against the small world, with a valid token of workspace A.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from fanlens.api.app import create_app
from tests.api.conftest import World

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]
EXAMPLES = {GenerationMode.POSITIVE: 60, GenerationMode.NEGATIVE: 25}


@pytest.mark.parametrize("mode", list(EXAMPLES), ids=lambda m: m.value)
def test_every_operation_conforms(fuzz_world: World, mode: GenerationMode) -> None:
    world = fuzz_world  # ingest writes: keep the read-only world's answers intact
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(world.engine))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 9  # 8 API operations and /healthz
    for operation in operations:
        if mode is GenerationMode.NEGATIVE and not list(operation.iter_parameters()):
            continue  # nothing to get wrong (/healthz)

        @given(case=operation.as_strategy(mode))
        @settings(
            max_examples=EXAMPLES[mode],
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=world.headers("a_write"), checks=CHECKS)

        run()
