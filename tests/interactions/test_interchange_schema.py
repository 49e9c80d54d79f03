"""The shipped JSON Schema and the importer's validator must agree."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fanlens.demo.generate import generate_world
from fanlens.interactions.interchange import Invalid, parse_object

SCHEMA = json.loads(
    (resources.files("fanlens.interactions") / "interchange-v1.schema.json").read_text()
)
VALIDATOR = jsonschema.Draft202012Validator(
    SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
)


def _parser_accepts(record: Any) -> bool:
    try:
        parse_object(record, 1)
    except Invalid:
        return False
    return True


def test_every_world_record_is_valid_for_both() -> None:
    for record in generate_world("tiny", seed=1).records():
        assert VALIDATOR.is_valid(record), record
        assert _parser_accepts(record), record


BAD = [
    {"type": "post", "platform": "tiktok"},
    {"type": "post", "platform": "TikTok", "external_post_id": "1"},
    {"type": "post", "platform": "tiktok", "external_post_id": "1", "metrics": {"views": -1}},
    {"type": "post", "platform": "tiktok", "external_post_id": "1", "metrics": {"views": "9"}},
    {"type": "follower", "platform": "tiktok"},
    {"type": "follower", "platform": "tiktok", "external_user_id": "u", "verified": "yes"},
    {"type": "interaction", "platform": "tiktok", "interaction_type": "like"},
    {"type": "interaction", "platform": "tiktok", "interaction_type": "like", "user": {}},
    {
        "type": "interaction",
        "platform": "tiktok",
        "interaction_type": "Like",
        "user": {"external_user_id": "u"},
    },
    {"type": "gift", "platform": "tiktok"},
    {"type": "interaction", "platform": "tiktok", "interaction_type": "like", "deleted": True},
    {
        "type": "interaction",
        "platform": "tiktok",
        "interaction_type": "comment",
        "external_id": "c1",
        "edited_at": "2026-11-02T14:05:00Z",
    },
    {"platform": "tiktok"},
    {"type": "post", "platform": "tiktok", "external_post_id": "a\x00"},
    {"type": "post", "platform": "tiktok", "external_post_id": 2**63},
    {"type": "post", "platform": "tiktok", "external_post_id": "1", "metrics": {"views": 10**16}},
    {"type": "post", "platform": "tiktok", "external_post_id": "1", "metrics": {"a\x00": 1}},
    {"type": "post", "platform": "tiktok", "external_post_id": "1", "caption": "\x00"},
    {"type": "post", "platform": "tiktok", "external_post_id": "1", "content": {"key": "k" * 501}},
    {
        "type": "post",
        "platform": "tiktok",
        "external_post_id": "1",
        "posted_at": "1969-12-31T00:00:00Z",
    },
    {"type": "follower", "platform": "tiktok", "external_user_id": "u", "username": "u" * 501},
    {
        "type": "interaction",
        "platform": "tiktok",
        "interaction_type": "like",
        "occurred_at": "9999-12-31T23:59:59-05:00",
        "user": {"external_user_id": "u"},
    },
]


@pytest.mark.parametrize("record", BAD, ids=range(len(BAD)))
def test_bad_records_are_refused_by_both(record: dict[str, Any]) -> None:
    assert not VALIDATOR.is_valid(record)
    assert not _parser_accepts(record)


names = st.sampled_from(["tiktok", "youtube", "Bad Name", "x", ""])
ids = st.one_of(
    st.text(min_size=1, max_size=5),
    st.integers(0, 10**6),
    st.none(),
    st.just(True),
    st.sampled_from(["a\x00", "x" * 501, 2**63 - 1, 2**63, -(2**63) - 1]),
)
values = st.one_of(st.none(), st.text(max_size=5), st.integers(-5, 5), st.booleans())
stamps = st.sampled_from(
    [
        None,
        "2026-11-02T14:05:00Z",
        "2026-11-02T14:05:00+02:00",
        "yesterday",
        17,
        "1970-01-01T00:00:00+01:00",
        "2099-12-31T23:59:59-05:00",
        "1969-12-31T23:59:59Z",
        "2100-01-01T00:00:00Z",
    ]
)


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["post", "follower", "interaction"]))
    rec: dict[str, Any] = {"type": kind, "platform": draw(names)}
    if kind == "post":
        rec["external_post_id"] = draw(ids)
        rec["posted_at"] = draw(stamps)
        rec["metrics"] = draw(
            st.one_of(
                st.none(),
                st.dictionaries(
                    st.sampled_from(["views", "likes", "plays"]), st.integers(-2, 50), max_size=2
                ),
            )
        )
    elif kind == "follower":
        rec["external_user_id"] = draw(ids)
        rec["follower_count"] = draw(values)
        rec["verified"] = draw(values)
    else:
        rec["interaction_type"] = draw(st.one_of(names, st.none()))
        rec["user"] = {"external_user_id": draw(ids), "username": draw(values)}
        rec["occurred_at"] = draw(stamps)
        rec["external_id"] = draw(ids)
        rec["text"] = draw(values)
        rec["edited_at"] = draw(stamps)
        rec["deleted"] = draw(values)
        if draw(st.booleans()):  # a change that names its interaction by id alone
            rec["user"] = None
    return {k: v for k, v in rec.items() if v is not None or draw(st.booleans())}


@settings(max_examples=300, deadline=None)
@given(records())
def test_schema_and_parser_agree(record: dict[str, Any]) -> None:
    assert VALIDATOR.is_valid(record) == _parser_accepts(record), record
