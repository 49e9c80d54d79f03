"""Property-based: every operation of the OpenAPI document, fuzzed in and out of its schema,
then sequences of calls that follow the document's links (a created campaign's status,
preview, send; a listed follower's detail).

Zero 5xx, and every response (errors included) matches the schema declared for its status.
Runs in-process over ASGI against the small world, with a write token of workspace A.
"""

from __future__ import annotations

import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.transport import Response
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from fanlens.server.app import create_app
from tests.api.conftest import World

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]
CREATE_CAMPAIGN = "POST /api/social-analytics/outreach/campaigns"
LIVE = "GET /api/social-analytics/live"
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
            if case.operation.label == LIVE:  # a stream: bounded, so each call ends
                case.query = {**(case.query or {}), "max_seconds": 0.05}
            case.call_and_validate(headers=world.headers("a_write"), checks=CHECKS)

        run()


def test_call_sequences_along_links(fuzz_world: World) -> None:
    world = fuzz_world
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(world.engine))
    # Only the links the document declares: inferred ones reach writes (merges, unlinks) that
    # change what later runs see, which Hypothesis reports as flaky data generation.
    schema.config.phases.stateful.inference.algorithms = []
    headers = world.headers("a_write")
    answered: list[tuple[str, int]] = []

    class Linked(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, object]:
            return {"headers": headers}

        def before_call(self, case: schemathesis.Case) -> None:
            # Drafts name the world's segment, so some are created and their links followed;
            # each a new name, so no run meets a draft (or a send) of an earlier one.
            if case.operation.label == CREATE_CAMPAIGN and isinstance(case.body, dict):
                case.body.update(segment="fans", name=f"fuzz-{uuid.uuid4().hex}")

        def after_call(self, response: Response, case: schemathesis.Case) -> None:
            answered.append((case.operation.label, response.status_code))

        def validate_response(
            self, response: Response, case: schemathesis.Case, *args: object, **kwargs: object
        ) -> None:
            case.validate_response(response, checks=[not_a_server_error], headers=headers)

    Linked.run(
        settings=settings(
            max_examples=30,
            stateful_step_count=6,
            # The database changes as calls create campaigns: no replaying or shrinking of a run
            # (Hypothesis would find it takes other paths), each run generated afresh.
            phases=[Phase.generate],
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
    )
    assert answered  # which calls succeed is random: a run may create no draft to follow
