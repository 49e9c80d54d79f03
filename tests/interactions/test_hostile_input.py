"""Input an attacker or a broken exporter would send: every line ends up stored or rejected,
with its line number and field, and the import never aborts on data."""

from __future__ import annotations

import io
import json
import uuid
from contextlib import nullcontext
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from fanlens.audience.models import Follower
from fanlens.content.models import ContentPost
from fanlens.demo.generate import generate_world
from fanlens.interactions.ingest import Batch, IngestSummary, import_stream, ingest_records
from fanlens.interactions.models import FollowerInteraction, IngestReject
from fanlens.workspaces.models import Workspace
from tests.fixtures.builders import create_workspace

POST: dict[str, Any] = {
    "type": "post",
    "platform": "tiktok",
    "external_post_id": "p1",
    "content": {"key": "cold-brew", "title": "Cold brew"},
    "url": "https://example.com/p1",
    "caption": "cold brew in 60 seconds",
    "posted_at": "2026-11-02T14:05:00Z",
    "metrics": {"views": 1200, "likes": 140, "plays": 3},
}
FOLLOWER: dict[str, Any] = {
    "type": "follower",
    "platform": "tiktok",
    "external_user_id": "u1",
    "username": "amy",
    "display_name": "Amy",
    "profile_url": "https://example.com/amy",
    "avatar_url": "https://example.com/amy.png",
    "bio": "coffee",
    "follower_count": 120,
    "verified": False,
}
INTERACTION: dict[str, Any] = {
    "type": "interaction",
    "platform": "tiktok",
    "interaction_type": "comment",
    "user": {"external_user_id": "u2", "username": "bo", "follower_count": 7},
    "external_post_id": "p1",
    "external_id": "c1",
    "text": "love it",
    "parent_external_id": "c0",
    "occurred_at": "2026-11-02T15:00:00Z",
}


def _import(
    session: Session,
    ws: Workspace,
    lines: list[str],
    *,
    batch_size: int = 1000,
    source: str = "hostile.jsonl",
    on_batch: Any = None,
) -> IngestSummary:
    return import_stream(
        io.BytesIO(("\n".join(lines) + "\n").encode("utf-8")),
        workspace_id=ws.id,
        source=source,
        session_scope=lambda: nullcontext(session),
        batch_size=batch_size,
        on_batch=on_batch,
    )


def _rejects(session: Session, ws: Workspace) -> list[tuple[int, str, str]]:
    rows = session.execute(
        select(IngestReject.line_number, IngestReject.reason, IngestReject.message)
        .where(IngestReject.workspace_id == ws.id)
        .order_by(IngestReject.line_number)
    ).all()
    return [(r.line_number, r.reason, r.message) for r in rows]


def _count(session: Session, model: Any, ws: Workspace) -> int:
    query = select(func.count()).select_from(model).where(model.workspace_id == ws.id)
    return session.scalar(query) or 0


def _with(record: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of `record` with the field at `path` (dotted) set to `value`."""
    copy: dict[str, Any] = json.loads(json.dumps(record))
    *parents, last = path.split(".")
    target = copy
    for name in parents:
        if not isinstance(target.get(name), dict):
            target[name] = {}
        target = target[name]
    target[last] = value
    return copy


def _comment(n: int) -> dict[str, Any]:
    return _with(_with(INTERACTION, "external_id", f"c{n}"), "user.external_user_id", f"u{n}")


# The lines of the issue: each one used to fail its whole import.
UNSTORABLE = [
    (_with(POST, "metrics.views", 10**30), "out_of_range", "metrics.views"),
    (_with(POST, "metrics.likes", 2**63), "out_of_range", "metrics.likes"),
    (_with(FOLLOWER, "follower_count", 10**20), "out_of_range", "follower_count"),
    (_with(POST, "external_post_id", "p\x002"), "nul_character", "external_post_id"),
    (
        _with(INTERACTION, "user.external_user_id", "u\x00"),
        "nul_character",
        "user.external_user_id",
    ),
    (_with(INTERACTION, "external_id", "c\x009"), "nul_character", "external_id"),
    (
        _with(INTERACTION, "occurred_at", "9999-12-31T23:59:59-05:00"),
        "bad_timestamp",
        "occurred_at",
    ),
    (_with(POST, "posted_at", "0001-01-01T00:00:00+01:00"), "bad_timestamp", "posted_at"),
    (_with(POST, "metrics.pl\x00ays", 1), "nul_character", "metrics"),
    (_with(INTERACTION, "text", "a\x00b"), "nul_character", "text"),
    (_with(FOLLOWER, "external_user_id", "x" * 3000), "too_long", "external_user_id"),
    (_with(INTERACTION, "external_post_id", -(2**64)), "out_of_range", "external_post_id"),
]


def test_values_the_database_cannot_hold_are_rejected_with_line_and_field(
    session: Session,
) -> None:
    ws = create_workspace(session)
    lines = [json.dumps(_comment(0))]
    for n, (record, _, _) in enumerate(UNSTORABLE, start=1):
        lines += [json.dumps(record), json.dumps(_comment(n))]
    lines.append('{"type": "post", "platform": "x", "external_post_id": "\\ud800"}')
    lines.append('{"type": "post", "metrics": {"views": ' + "9" * 5000 + "}}")

    summary = _import(session, ws, lines)

    comments = len(UNSTORABLE) + 1
    assert summary.interactions_inserted == comments
    assert _count(session, FollowerInteraction, ws) == comments
    rejects = _rejects(session, ws)
    expected = [(2 * n, reason) for n, (_, reason, _) in enumerate(UNSTORABLE, start=1)]
    expected += [(len(lines) - 1, "bad_encoding"), (len(lines), "out_of_range")]
    assert [(line, reason) for line, reason, _ in rejects] == expected
    for (_, _, message), (_, _, field) in zip(rejects, UNSTORABLE, strict=False):
        assert f"'{field}" in message
    assert summary.stored + summary.rejected_total == summary.lines == len(lines)


def test_a_batch_the_database_refuses_is_split_down_to_the_refused_lines(
    session: Session,
) -> None:
    # A rule validation knows nothing about: only the database's refusal can find these lines.
    session.execute(
        text("ALTER TABLE followers ADD CONSTRAINT test_no_mallory CHECK (username <> 'mallory')")
    )
    ws = create_workspace(session)
    lines = [json.dumps(_comment(n)) for n in range(1, 201)]
    refused = {37, 38, 150}
    for n in refused:
        lines[n - 1] = json.dumps(_with(_comment(n), "user.username", "mallory"))
    written: list[dict[str, Any]] = []

    def on_batch(batch: Batch, result: IngestSummary) -> None:
        written.extend({"line": r.line, "reason": r.reason, "raw": r.raw} for r in result.rejects)

    summary = _import(session, ws, lines, batch_size=500, on_batch=on_batch)

    assert summary.interactions_inserted == _count(session, FollowerInteraction, ws) == 197
    rejects = _rejects(session, ws)
    assert [(line, reason) for line, reason, _ in rejects] == [
        (n, "refused_by_database") for n in sorted(refused)
    ]
    assert all("test_no_mallory" in message for _, _, message in rejects)
    assert sorted(w["line"] for w in written) == sorted(refused)  # what --rejects writes
    assert all(json.loads(w["raw"])["user"]["username"] == "mallory" for w in written)
    assert summary.stored == 197 and summary.rejected_total == 3


def test_ingest_records_splits_too_and_never_raises_on_data(session: Session) -> None:
    """The connectors' and the API's path: one call, one batch, the good records stored."""
    session.execute(
        text("ALTER TABLE content_posts ADD CONSTRAINT test_no_spam CHECK (caption <> 'spam')")
    )
    ws = create_workspace(session)
    records = [_with(POST, "external_post_id", f"p{n}") for n in range(10)]
    records[4] = _with(records[4], "caption", "spam")
    records.append(_with(POST, "metrics.views", 10**30))
    summary = ingest_records(session, workspace_id=ws.id, records=records, source="api")
    assert _count(session, ContentPost, ws) == 9
    assert [(r.line, r.reason) for r in summary.rejects] == [
        (11, "out_of_range"),
        (5, "refused_by_database"),
    ]


# Arbitrary JSON, as hostile as JSON gets: huge and negative integers, big floats, NUL and lone
# surrogates in text, timestamps at and beyond every edge, nested lists and objects.
EDGE_TEXT = st.sampled_from(
    [
        "\x00",
        "a\x00b",
        "\ud800",
        "x" * 600,
        "9999-12-31T23:59:59-05:00",
        "0001-01-01T00:00:00+01:00",
        "1969-12-31T23:59:59Z",
        "1970-01-01T00:00:00+14:00",
        "2099-12-31T23:59:59-23:59",
        "2026-02-30T00:00:00Z",
        "2026-11-02T14:05:00+99:99",
    ]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**62, max_value=2**70),
    st.integers(min_value=-(2**70), max_value=-1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    EDGE_TEXT,
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=5) | EDGE_TEXT, inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(record: dict[str, Any], prefix: str = "") -> list[str]:
    paths = []
    for name, value in record.items():
        paths.append(prefix + name)
        if isinstance(value, dict):
            paths += _paths(value, f"{prefix}{name}.")
    return paths


FIELDS = [
    (record, path)
    for record in (POST, FOLLOWER, INTERACTION)
    for path in [*_paths(record), "metrics.other", "user.bio", "user.verified", "content.x"]
    if not path.startswith("metrics") or record is POST
]
HOSTILE_LINE = st.tuples(st.sampled_from(FIELDS), JSON_VALUES).map(
    lambda pick: _with(pick[0][0], pick[0][1], pick[1])
)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(records=st.lists(HOSTILE_LINE, min_size=1, max_size=8), batch_size=st.integers(1, 5))
def test_arbitrary_values_in_every_field_are_stored_or_rejected(
    session: Session, records: list[dict[str, Any]], batch_size: int
) -> None:
    ws = create_workspace(session)
    source = f"fuzz-{uuid.uuid4().hex}"
    lines = [json.dumps(r) for r in records]  # ASCII escapes: lone surrogates survive as JSON
    summary = _import(session, ws, lines, batch_size=batch_size, source=source)
    assert summary.lines == len(lines)
    assert summary.stored + summary.rejected_total == len(lines)
    stored_rejects = session.scalar(
        select(func.count()).select_from(IngestReject).where(IngestReject.source == source)
    )
    assert stored_rejects == summary.rejected_total
    # The dict path (connectors, the API's JSON array) holds the same promise.
    as_records = ingest_records(session, workspace_id=ws.id, records=records, source=source)
    assert as_records.stored + as_records.rejected_total == as_records.lines == len(records)


HOSTILE_PATTERNS = [
    '{"type":"post","platform":"tiktok","external_post_id":"h%d","metrics":{"views":1e30}}',
    '{"type":"post","platform":"tiktok","external_post_id":"h%d","metrics":{"likes":'
    + str(2**63)
    + "}}",
    '{"type":"follower","platform":"tiktok","external_user_id":"h%d","follower_count":'
    + str(10**20)
    + "}",
    '{"type":"post","platform":"tiktok","external_post_id":"h%d\\u0000"}',
    '{"type":"interaction","platform":"tiktok","interaction_type":"like","external_id":"h%d",'
    '"user":{"external_user_id":"\\u0000"}}',
    '{"type":"interaction","platform":"tiktok","interaction_type":"like","external_id":"h%d",'
    '"occurred_at":"9999-12-31T23:59:59-05:00","user":{"external_user_id":"u"}}',
    '{"type":"interaction","platform":"tiktok","interaction_type":"like","external_id":"h%d",'
    '"user":{"external_user_id":"\\udfff"}}',
    '{"type":"post","platform":"tiktok","external_post_id":"h%d","metrics":"lots"}',
    '{"type":"post","platform":"tiktok","external_post_id":["h%d"]}',
    '{"type":"interaction","platform":"tiktok","interaction_type":"like","user":"h%d"}',
    '{"type":"follower","platform":"TikTok","external_user_id":"h%d"}',
    '{"type":"post","platform":"tiktok","external_post_id":"h%d"',
    "[%d]",
]

SUMMARY_SQL = {
    "followers": "SELECT count(*), md5(string_agg(platform || external_user_id || "
    "coalesce(username, '') || coalesce(follower_count::text, ''), ',' "
    "ORDER BY platform, external_user_id)) FROM followers WHERE workspace_id = :ws",
    "posts": "SELECT count(*), md5(string_agg(p.platform || p.external_post_id || ci.slug || "
    "coalesce(p.views::text, '') || coalesce(p.posted_at::text, '') || p.is_placeholder::text, "
    "',' ORDER BY p.platform, p.external_post_id)) FROM content_posts p "
    "JOIN content_items ci ON ci.id = p.content_id WHERE p.workspace_id = :ws",
    "interactions": "SELECT count(*), md5(string_agg(i.platform || i.interaction_type || "
    "i.dedup_key::text || i.occurred_at::text || coalesce(i.interaction_value, '') || "
    "f.external_user_id, ',' ORDER BY i.platform, i.dedup_key)) FROM follower_interactions i "
    "JOIN followers f ON f.id = i.follower_id WHERE i.workspace_id = :ws",
    "scores": "SELECT count(*), md5(string_agg(f.external_user_id || s.engagement_score::text || "
    "s.engagement_tier, ',' ORDER BY f.platform, f.external_user_id)) "
    "FROM follower_engagement_scores s JOIN followers f ON f.id = s.follower_id "
    "WHERE s.workspace_id = :ws",
}


def _truth(session: Session, ws: Workspace) -> dict[str, tuple[int, str]]:
    return {
        name: tuple(session.execute(text(sql), {"ws": ws.id}).one())  # type: ignore[misc]
        for name, sql in SUMMARY_SQL.items()
    }


@pytest.mark.slow
@pytest.mark.xdist_group(name="big-world")
def test_a_world_with_100_000_hostile_lines_mixed_in_stores_its_truth_exactly(
    session: Session,
) -> None:
    world = list(generate_world("tiny", seed=21).jsonl_lines())
    per_line = -(-100_000 // len(world))  # hostile lines after each line of the world
    hostile: list[str] = []
    for n, line in enumerate(world):
        hostile.append(line)
        for k in range(per_line):
            pattern = HOSTILE_PATTERNS[(n + k) % len(HOSTILE_PATTERNS)]
            hostile.append(pattern % (n * per_line + k))
    clean_ws, hostile_ws = create_workspace(session), create_workspace(session)

    clean = _import(session, clean_ws, world, batch_size=5000)
    mixed = _import(session, hostile_ws, hostile, batch_size=5000)

    assert clean.rejected_total == 0
    assert mixed.rejected_total == len(hostile) - len(world) >= 100_000
    assert mixed.stored == len(world)
    assert _truth(session, hostile_ws) == _truth(session, clean_ws)
    assert _count(session, Follower, hostile_ws) == _count(session, Follower, clean_ws) > 0
