"""The insights rollups (post_first_day_engagement, tier_change_days, tier_hold_days) equal a
recount from the log and the tier history, and best time to post and tier movement answer as
the statements that read the log did, after every kind of change to what they derive from."""

from __future__ import annotations

import io
import uuid
from contextlib import nullcontext
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from fanlens.analytics import insights
from fanlens.analytics.retention import shift, window
from fanlens.content.linking_repository import move_post
from fanlens.demo.generate import generate_world
from fanlens.interactions import ingest, upkeep, upkeep_repository
from fanlens.interactions.ingest import import_stream, ingest_records
from fanlens.scoring import service as scoring
from fanlens.scoring.schemas import ScoringConfigChange
from tests.fixtures.builders import create_workspace
from tests.helpers import row_set

FIRST_DAY = (
    "SELECT content_post_id, platform, posted_at, engagement FROM post_first_day_engagement "
    "WHERE workspace_id = :ws"
)
FIRST_DAY_TRUTH = """
    SELECT p.id, p.platform, p.posted_at, e.n FROM content_posts p
    CROSS JOIN LATERAL (
        SELECT count(*) AS n FROM follower_interactions i
        WHERE i.content_post_id = p.id AND i.time_precision = 'exact'
          AND i.occurred_at >= p.posted_at
          AND i.occurred_at < p.posted_at + interval '24 hours') e
    WHERE p.workspace_id = :ws AND p.posted_at IS NOT NULL"""
CHANGE_DAYS = (
    "SELECT day, from_tier, to_tier, time_precision, changes FROM tier_change_days "
    "WHERE workspace_id = :ws"
)
CHANGE_DAYS_TRUTH = """
    SELECT (changed_at AT TIME ZONE 'UTC')::date, from_tier, to_tier, time_precision, count(*)
    FROM follower_tier_changes WHERE workspace_id = :ws AND kind = 'behaviour'
    GROUP BY 1, 2, 3, 4"""
HOLD_DAYS = (
    "SELECT day, tier, entered, exited, exited_held_week, exited_held_month "
    "FROM tier_hold_days WHERE workspace_id = :ws"
)


def _hold_days_truth(session: Session, ws: uuid.UUID) -> set[tuple[object, ...]]:
    lines = session.scalar(
        text("SELECT fanlens_tier_hold_lines(:rows, 1)"),
        {"rows": "SELECT * FROM follower_tier_changes WHERE workspace_id = :ws "
                 "AND kind = 'behaviour'"},
    )  # fmt: skip
    sql = (
        "SELECT day, tier, sum(entered), sum(exited), sum(exited_held_week), "
        f"sum(exited_held_month) FROM ({lines}) l GROUP BY 1, 2"
    )
    return row_set(session, sql, ws)


# The statements that read the log and the tier history, as they were before the rollups: the
# oracles of the answers.
OLD_BEST_TIME = text(
    """
    SELECT p.platform,
           extract(isodow FROM p.posted_at AT TIME ZONE :tz)::int AS weekday,
           extract(hour FROM p.posted_at AT TIME ZONE :tz)::int AS hour,
           count(*)::bigint AS posts,
           sum(e.n)::bigint AS engagement
    FROM content_posts p
    CROSS JOIN LATERAL (
        SELECT count(*) AS n FROM follower_interactions i
        WHERE i.content_post_id = p.id AND i.time_precision = 'exact'
          AND i.occurred_at >= p.posted_at
          AND i.occurred_at < p.posted_at + interval '24 hours') e
    WHERE p.workspace_id = :ws AND p.posted_at IS NOT NULL
    GROUP BY 1, 2, 3
    """
)
OLD_TIER_MOVES = text(
    """
    SELECT date_trunc(:grain, changed_at AT TIME ZONE 'UTC')::date AS period,
           from_tier, to_tier, time_precision, count(*)::bigint AS followers
    FROM follower_tier_changes
    WHERE workspace_id = :ws AND kind = 'behaviour'
      AND changed_at >= CAST(:first AS date)::timestamp AT TIME ZONE 'UTC'
      AND changed_at < CAST(:last_stop AS date)::timestamp AT TIME ZONE 'UTC'
    GROUP BY 1, 2, 3, 4
    """
)
OLD_TIER_HELD = text(
    """
    WITH bounds AS (
        SELECT array_agg(b.start::timestamp AT TIME ZONE 'UTC' ORDER BY b.n) AS starts,
               array_agg(b.stop::timestamp AT TIME ZONE 'UTC' ORDER BY b.n) AS stops
        FROM unnest(CAST(:starts AS date[]), CAST(:ends AS date[]))
             WITH ORDINALITY AS b (start, stop, n)),
    spans AS (
        SELECT c.to_tier, c.changed_at,
               lead(c.changed_at) OVER (
                   PARTITION BY c.follower_id ORDER BY c.changed_at, c.id) AS next_at
        FROM follower_tier_changes c
        WHERE c.workspace_id = :ws AND c.kind = 'behaviour'
          AND c.changed_at < CAST(:last_stop AS date)::timestamp AT TIME ZONE 'UTC'),
    ranges AS (
        SELECT s.to_tier, width_bucket(s.changed_at, b.starts) AS after,
               coalesce(width_bucket(s.next_at, b.stops), cardinality(b.stops)) AS upto,
               count(*) AS followers
        FROM spans s CROSS JOIN bounds b
        GROUP BY 1, 2, 3)
    SELECT p.start AS period, r.to_tier AS tier, sum(r.followers)::bigint AS followers
    FROM unnest(CAST(:starts AS date[])) WITH ORDINALITY AS p (start, n)
    JOIN ranges r ON p.n > r.after AND p.n <= r.upto
    GROUP BY 1, 2
    """
)


def _answers_match(session: Session, ws: uuid.UUID) -> None:
    for tz in ("UTC", "Asia/Kolkata", "America/New_York"):
        got = insights.best_time(session=session, workspace_id=ws, tz=tz)
        old = session.execute(OLD_BEST_TIME, {"ws": ws, "tz": tz}).all()
        assert {(c.platform, c.weekday, c.hour, c.posts, c.avg_engagement) for c in got.cells} == {
            (r.platform, r.weekday, r.hour, r.posts, round(r.engagement / r.posts, 2)) for r in old
        }
    for grain, periods, as_of in (
        ("week", 12, None),
        ("month", 12, None),
        ("week", 5, date(2026, 3, 4)),
    ):
        first = window(grain, periods, as_of)[0]  # type: ignore[arg-type]
        starts = [shift(first, grain, n) for n in range(periods)]  # type: ignore[arg-type]
        ends = [shift(s, grain, 1) for s in starts]  # type: ignore[arg-type]
        params = {"ws": ws, "grain": grain, "first": first, "starts": starts, "ends": ends,
                  "last_stop": ends[-1]}  # fmt: skip
        got = insights.tier_movement(
            session=session,
            workspace_id=ws,
            grain=grain,
            periods=periods,
            as_of=as_of,  # type: ignore[arg-type]
        )
        moves = {
            (p.period, m.from_tier, m.to_tier, m.followers)
            for p in got.periods for m in p.moves if m.direction != "held"
        }  # fmt: skip
        unknown = {(p.period, p.time_unknown) for p in got.periods if p.time_unknown}
        old = session.execute(OLD_TIER_MOVES, params).all()
        assert moves == {
            (r.period, r.from_tier, r.to_tier, r.followers)
            for r in old if r.time_precision == "exact"
        }  # fmt: skip
        observed: dict[date, int] = {}
        for r in old:
            if r.time_precision == "observed":
                observed[r.period] = observed.get(r.period, 0) + r.followers
        assert unknown == set(observed.items())
        held = {(p.period, m.to_tier, m.followers) for p in got.periods for m in p.moves
                if m.direction == "held"}  # fmt: skip
        assert held == {tuple(r) for r in session.execute(OLD_TIER_HELD, params)}


def _check(session: Session, ws: uuid.UUID) -> None:
    assert row_set(session, FIRST_DAY, ws) == row_set(session, FIRST_DAY_TRUTH, ws) != set()
    assert row_set(session, CHANGE_DAYS, ws) == row_set(session, CHANGE_DAYS_TRUTH, ws) != set()
    assert row_set(session, HOLD_DAYS, ws) == _hold_days_truth(session, ws) != set()
    _answers_match(session, ws)


def _run(session: Session, sql: str, **params: object) -> None:
    session.execute(text(sql), params)


TOP_TWO = """
    SELECT f.id FROM followers f JOIN follower_engagement_scores s ON s.follower_id = f.id
    WHERE f.workspace_id = :ws AND f.platform = 'tiktok'
    ORDER BY s.engagement_score DESC LIMIT 2"""
SOME_POSTS = """
    SELECT id, content_id FROM content_posts
    WHERE workspace_id = :ws AND posted_at IS NOT NULL ORDER BY id LIMIT 4"""


def test_rollups_follow_every_change(session: Session) -> None:
    ws, other = create_workspace(session), create_workspace(session)
    records = list(generate_world("tiny", 5).records())
    for w in (ws, other):
        ingest_records(session, workspace_id=w.id, records=records, source="test")
    _check(session, ws.id)
    held = insights.tier_movement(session=session, workspace_id=ws.id, periods=12)
    assert any(p.held for p in held.periods) and any(p.up for p in held.periods)

    ingest_records(session, workspace_id=ws.id, records=records, source="again")  # no-op
    _check(session, ws.id)

    # corrected times: some move into a post's first day, some out of it
    _run(
        session,
        "UPDATE follower_interactions SET occurred_at = occurred_at - interval '20 hours' "
        "WHERE workspace_id = :ws AND interaction_type = 'like'",
        ws=ws.id,
    )
    _check(session, ws.id)
    # observed times upgraded to exact (and exact ones taken back), as a re-sync does
    _run(
        session,
        "UPDATE follower_interactions SET time_precision = CASE time_precision "
        "WHEN 'exact' THEN 'observed' ELSE 'exact' END "
        "WHERE workspace_id = :ws AND interaction_type IN ('comment', 'share')",
        ws=ws.id,
    )
    _check(session, ws.id)

    # a follower merged into another: their interactions move over, then they go
    keep, gone = session.execute(text(TOP_TWO), {"ws": ws.id}).scalars().all()
    _run(
        session,
        "UPDATE follower_interactions SET follower_id = :keep WHERE follower_id = :gone",
        keep=keep,
        gone=gone,
    )
    _run(session, "DELETE FROM followers WHERE id = :gone", gone=gone)
    _check(session, ws.id)

    # posts: one relinked to another item, interactions moved to another post, a posted_at
    # corrected, one cleared, one deleted
    posts = session.execute(text(SOME_POSTS), {"ws": ws.id}).all()
    move_post(session, post_id=posts[0].id, content_id=posts[1].content_id)
    _run(
        session,
        "UPDATE follower_interactions SET content_post_id = :to WHERE content_post_id = :old",
        to=posts[2].id,
        old=posts[1].id,
    )
    _run(
        session,
        "UPDATE content_posts SET posted_at = posted_at + interval '6 hours' WHERE id = :id",
        id=posts[2].id,
    )
    _run(session, "UPDATE content_posts SET posted_at = NULL WHERE id = :id", id=posts[3].id)
    _check(session, ws.id)
    _run(session, "DELETE FROM content_posts WHERE id = :id", id=posts[2].id)
    _check(session, ws.id)

    # a weight change replays the whole history
    change = ScoringConfigChange(weights={"like": Decimal(40)}, lurker=Decimal(60))
    scoring.update_config(session=session, workspace_id=ws.id, change=change)
    _check(session, ws.id)

    _run(
        session,
        "DELETE FROM follower_interactions WHERE id IN (SELECT id FROM follower_interactions "
        "WHERE workspace_id = :ws ORDER BY id LIMIT 60)",
        ws=ws.id,
    )
    _run(
        session,
        "DELETE FROM followers WHERE id IN (SELECT id FROM followers "
        "WHERE workspace_id = :ws ORDER BY id LIMIT 10)",
        ws=ws.id,
    )
    _check(session, ws.id)

    _check(session, other.id)  # untouched by all of the above
    _run(session, "DELETE FROM workspaces WHERE id = :id", id=other.id)
    for table in ("post_first_day_engagement", "tier_change_days", "tier_hold_days"):
        left = session.scalar(
            text(f"SELECT count(*) FROM {table} WHERE workspace_id = :ws"), {"ws": other.id}
        )
        assert left == 0


def test_rebuild_equals_kept(session: Session) -> None:
    ws = create_workspace(session)
    ingest_records(
        session, workspace_id=ws.id, records=generate_world("tiny", 7).records(), source="test"
    )
    kept = {sql: row_set(session, sql, ws.id) for sql in (FIRST_DAY, CHANGE_DAYS, HOLD_DAYS)}
    _run(session, "SELECT fanlens_insights_rebuild_workspace(:ws)", ws=ws.id)
    assert kept == {sql: row_set(session, sql, ws.id) for sql in kept}
    assert all(kept.values())


def test_a_bulk_import_ends_at_the_recount(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bulk import keeps the first days in its batches and the tier rollups in its catch-up."""
    monkeypatch.setattr(ingest, "BULK_INTERACTIONS", 100)  # the tiny world's batches are bulk
    ws = create_workspace(session)
    lines = list(generate_world("tiny", seed=5).jsonl_lines())
    import_stream(
        io.BytesIO(("\n".join(lines) + "\n").encode("utf-8")),
        workspace_id=ws.id,
        source="world.jsonl",
        session_scope=lambda: nullcontext(session),
        batch_size=300,
        bulk=True,
    )
    assert upkeep_repository.waiting(session, workspace_id=ws.id) > 0  # deferred
    assert row_set(session, FIRST_DAY, ws.id) == row_set(session, FIRST_DAY_TRUTH, ws.id)
    upkeep.catch_up(ws.id, session_scope=lambda: nullcontext(session), chunk=7)
    assert upkeep_repository.waiting(session, workspace_id=ws.id) == 0
    _check(session, ws.id)
