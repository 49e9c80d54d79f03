"""A bulk import defers its followers' derived rows to a catch-up after the load: what it ends
at equals the per-batch path, readers meanwhile see rows that lag the log but never run ahead
of it, and small ingests keep their upkeep in their own transaction."""

from __future__ import annotations

import io
from contextlib import nullcontext
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from fanlens.demo.generate import generate_world
from fanlens.interactions import ingest, upkeep, upkeep_repository
from fanlens.interactions.ingest import IngestSummary, import_stream, ingest_records
from fanlens.workspaces.models import Workspace
from tests.fixtures.builders import create_workspace
from tests.helpers import row_set
from tests.interactions.test_changes import DERIVED

LINES = list(generate_world("tiny", seed=5).jsonl_lines())


@pytest.fixture(autouse=True)
def small_bulk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of the tiny world (300 lines) count as bulk."""
    monkeypatch.setattr(ingest, "BULK_INTERACTIONS", 100)


def _import(
    session: Session, ws: Workspace, *, bulk: bool, lines: list[str] = LINES
) -> IngestSummary:
    return import_stream(
        io.BytesIO(("\n".join(lines) + "\n").encode("utf-8")),
        workspace_id=ws.id,
        source="world.jsonl",
        session_scope=lambda: nullcontext(session),
        batch_size=300,
        bulk=bulk,
    )


def _catch_up(session: Session, ws: Workspace, chunk: int = 7) -> int:
    return upkeep.catch_up(ws.id, session_scope=lambda: nullcontext(session), chunk=chunk)


def _derived(session: Session, ws: Workspace) -> dict[str, set[tuple[Any, ...]]]:
    return {name: row_set(session, sql, ws.id) for name, sql in DERIVED.items()}


def test_a_bulk_import_ends_where_the_per_batch_path_ends(session: Session) -> None:
    bulk, plain = create_workspace(session), create_workspace(session)
    summary = _import(session, bulk, bulk=True)
    waiting = upkeep_repository.waiting(session, workspace_id=bulk.id)
    assert 0 < waiting <= summary.interactions_inserted  # the last, small batch: none
    assert _catch_up(session, bulk) == waiting
    assert upkeep_repository.waiting(session, workspace_id=bulk.id) == 0
    _import(session, plain, bulk=False)
    assert upkeep_repository.waiting(session, workspace_id=plain.id) == 0
    ours, theirs = _derived(session, bulk), _derived(session, plain)
    assert all(rows for name, rows in theirs.items() if name != "sentiments")
    assert ours == theirs


def test_in_transaction_ingests_meanwhile_end_where_they_would_have(session: Session) -> None:
    """A sync storing interactions of followers who wait for the catch-up applies its own
    upkeep to them; the catch-up then rebuilds them from the log, counting nothing twice."""
    bulk, plain = create_workspace(session), create_workspace(session)
    _import(session, bulk, bulk=True)
    late = [
        {"type": "interaction", "platform": "tiktok", "interaction_type": "share",
         "user": {"external_user_id": "tiktok_user_0001"}, "external_post_id": "late-post",
         "external_id": f"late-{n}", "occurred_at": f"2020-01-0{n}T10:00:00Z"}
        for n in range(1, 4)
    ]  # fmt: skip
    for ws in (bulk, plain):
        ingest_records(session, workspace_id=ws.id, records=late, source="sync")
    _catch_up(session, bulk)
    _import(session, plain, bulk=False)
    # plain stored the late ones first: its tier history replays them either way
    assert _derived(session, bulk) == _derived(session, plain)


def test_readers_mid_import_see_derived_rows_behind_the_log_never_ahead(session: Session) -> None:
    ws = create_workspace(session)
    first = LINES[: len(LINES) // 2]
    _import(session, ws, bulk=False, lines=first)
    current = _derived(session, ws)
    again = LINES[:900]  # the first half again and more, in whole (bulk) batches of 300 lines
    _import(session, ws, bulk=True, lines=again)
    log_per_follower = dict(
        session.execute(
            text(
                "SELECT follower_id, count(*) FROM follower_interactions WHERE workspace_id = :ws"
                " GROUP BY follower_id"
            ),
            {"ws": ws.id},
        ).all()
    )
    counted = dict(
        session.execute(
            text(
                "SELECT follower_id, interaction_count FROM follower_engagement_scores"
                " WHERE workspace_id = :ws"
            ),
            {"ws": ws.id},
        ).all()
    )
    assert all(n <= log_per_follower[f] for f, n in counted.items())
    assert sum(counted.values()) < sum(log_per_follower.values())
    waiting = upkeep_repository.waiting(session, workspace_id=ws.id)
    assert sum(counted.values()) + waiting == sum(log_per_follower.values())
    # Follower rows and the per-content daily rollups are where the first half left them; the
    # bulk batches' daily additions wait beside the log.
    after = _derived(session, ws)
    for name in (
        "counts", "scores", "tier_history", "seen", "tier_counts", "retention", "daily",
        "platform_days",
    ):  # fmt: skip
        assert after[name] == current[name], name
    pending = session.scalar(
        text("SELECT sum(interaction_count) FROM upkeep_daily_backlog WHERE workspace_id = :ws"),
        {"ws": ws.id},
    )
    daily = session.scalar(
        text(
            "SELECT sum(interaction_count) FROM interaction_daily_counts WHERE workspace_id = :ws"
        ),
        {"ws": ws.id},
    )
    assert pending > 0
    assert daily + pending == sum(log_per_follower.values())
    _catch_up(session, ws)
    whole = create_workspace(session)
    _import(session, whole, bulk=False, lines=again)
    # The catch-up replays each follower's tier history from the log; per batch, a batch that
    # holds both a follower's late (older) and newer interactions keeps their history as it was.
    session.execute(text("SELECT fanlens_replay_tier_history(NULL, :ws)"), {"ws": whole.id})
    assert _derived(session, ws) == _derived(session, whole)


def test_small_imports_and_api_ingests_keep_their_upkeep_in_their_transaction(
    session: Session,
) -> None:
    ws = create_workspace(session)
    small = LINES[:60]  # one batch under the bulk size
    _import(session, ws, bulk=True, lines=small)
    record = {
        "type": "interaction",
        "platform": "bluesky",
        "interaction_type": "like",
        "user": {"external_user_id": "api-fan"},
        "external_post_id": "p",
        "occurred_at": "2026-11-01T10:00:00Z",
    }
    ingest_records(session, workspace_id=ws.id, records=[record], source="api")
    assert upkeep_repository.waiting(session, workspace_id=ws.id) == 0
    assert session.execute(
        text(
            "SELECT (SELECT count(*) FROM follower_interactions WHERE workspace_id = :ws),"
            " (SELECT sum(interaction_count) FROM follower_engagement_scores"
            "  WHERE workspace_id = :ws)"
        ),
        {"ws": ws.id},
    ).one() == (
        session.scalar(
            text("SELECT count(*) FROM follower_interactions WHERE workspace_id = :ws"),
            {"ws": ws.id},
        ),
        session.scalar(
            text("SELECT count(*) FROM follower_interactions WHERE workspace_id = :ws"),
            {"ws": ws.id},
        ),
    )


RECOUNT = {
    "daily": """SELECT content_id, platform, fanlens_interaction_day(occurred_at, time_precision),
                       interaction_type, count(*)
                FROM follower_interactions WHERE workspace_id = :ws GROUP BY 1, 2, 3, 4""",
    "kept_daily": """SELECT content_id, platform, day, interaction_type, interaction_count
                     FROM interaction_daily_counts WHERE workspace_id = :ws""",
    "platform_days": """SELECT platform, fanlens_interaction_day(occurred_at, time_precision),
                               count(*)
                        FROM follower_interactions WHERE workspace_id = :ws GROUP BY 1, 2""",
    "kept_platform_days": """SELECT platform, day, interaction_count
                             FROM interaction_platform_days WHERE workspace_id = :ws""",
}


def test_deletes_and_updates_before_the_catch_up_leave_daily_counts_equal_to_the_log(
    session: Session,
) -> None:
    """Interactions whose daily additions still wait are deleted, moved to another day and
    relinked to another content item: each change adds the waiting additions before it
    subtracts, so after the catch-up the daily rollups equal a recount of the log."""
    ws = create_workspace(session)
    params = {"ws": ws.id}
    pending = text("SELECT count(*) FROM upkeep_daily_backlog WHERE workspace_id = :ws")
    _import(session, ws, bulk=True, lines=LINES[:600])
    assert session.scalar(pending, params)
    session.execute(
        text(
            "UPDATE follower_interactions SET occurred_at = occurred_at - interval '3 days'"
            " WHERE id IN (SELECT id FROM follower_interactions WHERE workspace_id = :ws"
            " AND time_precision = 'exact' ORDER BY id LIMIT 30)"
        ),
        params,
    )
    assert not session.scalar(pending, params)
    _import(session, ws, bulk=True, lines=LINES[600:])
    assert session.scalar(pending, params)
    session.execute(
        text(
            "DELETE FROM follower_interactions WHERE id IN (SELECT id FROM follower_interactions"
            " WHERE workspace_id = :ws ORDER BY id DESC LIMIT 40)"
        ),
        params,
    )
    _import(session, ws, bulk=True, lines=LINES[600:] + LINES[300:600])  # the deleted again
    session.execute(
        text(
            "UPDATE follower_interactions SET content_id = (SELECT max(content_id::text)::uuid"
            " FROM follower_interactions WHERE workspace_id = :ws)"
            " WHERE workspace_id = :ws AND content_id = (SELECT min(content_id::text)::uuid"
            " FROM follower_interactions WHERE workspace_id = :ws)"
        ),
        params,
    )
    _catch_up(session, ws)
    rows = {name: row_set(session, sql, ws.id) for name, sql in RECOUNT.items()}
    assert rows["kept_daily"] == rows["daily"]
    assert rows["kept_platform_days"] == rows["platform_days"]


def test_a_catch_up_of_a_tenth_of_the_log_or_more_analyzes_the_tables_it_reads(
    session: Session,
) -> None:
    """Right after a load autovacuum may not have analyzed it yet: the catch-up does, when its
    backlog is a tenth of what the statistics count in the log or more."""
    analyzed = text(
        "SELECT pg_stat_get_analyze_count('upkeep_backlog'::regclass)"
        " + pg_stat_get_analyze_count('follower_interactions'::regclass)"
    )
    ws = create_workspace(session)
    _import(session, ws, bulk=True)
    before = session.scalar(analyzed)
    _catch_up(session, ws)
    session.execute(text("SELECT pg_stat_clear_snapshot()"))  # read the counters anew
    assert session.scalar(analyzed) == before + 2
