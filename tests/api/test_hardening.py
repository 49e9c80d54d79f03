"""Issue #21, findings 4-8: input outside what the schema, Python or the database can hold is a
422 naming the field (or the template limit), never a 500.

Runs on the fuzz world (the fuzzer writes to it too): every request here is refused, so nothing
in it changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from fanlens.server.app import create_app
from tests.api.conftest import API, World
from tests.api.test_errors_and_csv import assert_error


@pytest.fixture(scope="module")
def writer(fuzz_world: World) -> Iterator[TestClient]:
    with TestClient(create_app(fuzz_world.engine), raise_server_exceptions=False) as client:
        client.headers.update(fuzz_world.headers("a_write"))
        yield client


def _fields(response: Any) -> set[str]:
    err = assert_error(response, 422, "validation_error")
    return {d["field"] for d in err["details"]}


@pytest.mark.parametrize("weight", [1e308, 1e30, "1e400", "NaN", -1])
def test_4_scoring_weights_out_of_range_are_422(writer: TestClient, weight: Any) -> None:
    answer = writer.put(f"{API}/scoring", json={"weights": {"comment": weight}})
    assert _fields(answer) == {"weights.comment"}


@pytest.mark.parametrize("field", ["super_fan", "active", "lurker"])
def test_4_scoring_thresholds_out_of_range_are_422(writer: TestClient, field: str) -> None:
    assert _fields(writer.put(f"{API}/scoring", json={field: "1e400"})) == {field}


@pytest.mark.parametrize("score", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_5_segment_scores_must_be_finite(writer: TestClient, score: str) -> None:
    body = {"name": "bad", "filters": {"min_score": score}}
    assert _fields(writer.post(f"{API}/outreach/segments", json=body)) == {"filters.min_score"}


def test_5_segment_lists_and_limit_are_bounded(writer: TestClient) -> None:
    body = {"name": "bad", "filters": {"platforms": ["x"] * 1000, "limit": 10**12}}
    fields = _fields(writer.post(f"{API}/outreach/segments", json=body))
    assert fields == {"filters.platforms", "filters.limit"}


@pytest.mark.parametrize("zone", ["x" * 100_000, "Not/A_Zone", "../../etc/passwd"])
def test_6_time_zone_is_an_iana_name(writer: TestClient, zone: str) -> None:
    answer = writer.patch(f"{API}/outreach/settings", json={"time_zone": zone})
    assert _fields(answer) == {"time_zone"}


@pytest.mark.parametrize("at", ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00"])
def test_7_send_time_outside_the_window_is_422(
    writer: TestClient, fuzz_world: World, at: str
) -> None:
    url = f"{API}/outreach/campaigns/{fuzz_world.ids['campaign']}/send"
    err = assert_error(writer.post(url, json={"at": at}), 422, "validation_error")
    assert err["details"][0]["field"] == "at"
    assert "1970" in err["details"][0]["message"] and "2100" in err["details"][0]["message"]


def _campaign(template: str) -> dict[str, Any]:
    return {"name": "limits", "segment": "fans", "channel": "csv", "template": template}


@pytest.mark.parametrize(
    ("template", "limit"),
    [
        ("{{ range(10**9)|length }}", "range"),
        (
            "{% for i in range(30000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}x",
            "range",
        ),
        ("{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}x", "steps"),
        ("{{ 'x' * 10**8 }}", "output"),
        ("{{ 10**10**10 }}", "number"),
        ("{% for i in range(1000) %}{{ 'y' * 1000 }}{% endfor %}", "output"),
    ],
)
def test_8_templates_render_under_a_budget(writer: TestClient, template: str, limit: str) -> None:
    err = assert_error(writer.post(f"{API}/outreach/campaigns", json=_campaign(template)),
                       422, "invalid_input")  # fmt: skip
    assert err["details"]["limit"] == limit


def test_8_template_source_is_bounded(writer: TestClient) -> None:
    huge = "{{ '" + "x" * 1_000_000 + "' }}"
    assert _fields(writer.post(f"{API}/outreach/campaigns", json=_campaign(huge))) == {"template"}


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/activity?since=0001-01-01T00:00:00%2B05:00", "since"),
        ("/content?posted_to=9999-12-31T23:59:59-05:00", "posted_to"),
        ("/cohorts?since=0001-01-01", "since"),
        ("/retention?as_of=9999-12-31", "as_of"),
        ("/retention?types=" + "x" * 51, "types.0"),
    ],
)
def test_query_times_and_lists_are_bounded(writer: TestClient, path: str, field: str) -> None:
    assert _fields(writer.get(API + path)) == {field}


def test_8_a_body_over_a_mebibyte_is_refused_before_it_is_read(writer: TestClient) -> None:
    body = b'{"name": "big", "segment": "fans", "channel": "csv", "template": "' + b"x" * 2**21
    url = f"{API}/outreach/campaigns"
    headers = {"Content-Type": "application/json"}
    err = assert_error(writer.post(url, content=body, headers=headers), 413, "payload_too_large")
    assert "1048576 bytes" in err["message"]
    chunked = writer.post(url, content=iter([body[: 2**20], body[2**20 :]]), headers=headers)
    assert_error(chunked, 413, "payload_too_large")


@pytest.mark.parametrize("body", [b"\xff\xfe@lt=Q", b'{"name": ', b"not json"])
def test_a_body_that_is_not_json_is_a_422(writer: TestClient, body: bytes) -> None:
    response = writer.post(
        f"{API}/outreach/segments", content=body, headers={"Content-Type": "application/json"}
    )
    fields = _fields(response)  # an undecodable body was a 400 no operation documents
    assert fields == {"body"} if body.startswith(b"\xff") else fields
