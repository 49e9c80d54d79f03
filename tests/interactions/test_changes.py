"""Edited and deleted interactions on real PostgreSQL: a deleted interaction leaves every derived
row where it would be had it never been stored, and no later copy of it brings it back."""

from __future__ import annotations

import io
import json
from contextlib import nullcontext
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from fanlens.interactions import changes
from fanlens.interactions.ingest import import_stream, ingest_records
from fanlens.kit.errors import InvalidInput
from fanlens.scoring import service as scoring
from fanlens.sentiment.analysers import VaderAnalyser
from fanlens.sentiment.service import analyse_batch
from fanlens.workspaces.models import Workspace
from tests.fixtures.builders import create_workspace
from tests.helpers import row_set

# Every derived table, each row named by what it is about (handles, slugs, days), so two
# workspaces built from the same records compare row for row.
DERIVED = {
    "counts": """SELECT f.external_user_id, c.interaction_type, c.interaction_count,
                        c.first_interaction_at, c.last_interaction_at
                 FROM follower_interaction_counts c JOIN followers f ON f.id = c.follower_id
                 WHERE c.workspace_id = :ws""",
    "scores": """SELECT f.external_user_id, s.engagement_score, s.engagement_tier,
                        s.comment_count, s.like_count, s.share_count, s.interaction_count,
                        s.first_interaction_at, s.last_interaction_at, s.config_version
                 FROM follower_engagement_scores s JOIN followers f ON f.id = s.follower_id
                 WHERE s.workspace_id = :ws""",
    "tier_history": """SELECT f.external_user_id, t.from_tier, t.to_tier, t.score, t.kind,
                              t.changed_at, t.time_precision
                       FROM follower_tier_changes t JOIN followers f ON f.id = t.follower_id
                       WHERE t.workspace_id = :ws""",
    "seen": """SELECT external_user_id, first_seen_at, last_seen_at FROM followers
               WHERE workspace_id = :ws""",
    "daily": """SELECT ci.slug, d.platform, d.day, d.interaction_type, d.interaction_count
                FROM interaction_daily_counts d LEFT JOIN content_items ci ON ci.id = d.content_id
                WHERE d.workspace_id = :ws""",
    "platform_days": """SELECT platform, day, interaction_count FROM interaction_platform_days
                        WHERE workspace_id = :ws""",
    "tier_counts": """SELECT platform, tier, followers, interactions FROM follower_tier_counts
                      WHERE workspace_id = :ws""",
    "active_periods": """SELECT f.external_user_id, a.grain, a.period, a.platform
                         FROM follower_active_periods a JOIN followers f ON f.id = a.follower_id
                         WHERE a.workspace_id = :ws""",
    "retention": """SELECT platform, grain, cohort, period, followers, last_active
                    FROM retention_cells WHERE workspace_id = :ws""",
    "content_totals": """SELECT ci.slug, t.platform_count, t.total_engagement,
                                t.engagement_rate, t.best_platform
                         FROM content_engagement_totals t JOIN content_items ci
                           ON ci.id = t.content_id
                         WHERE ci.workspace_id = :ws""",
    "first_day": """SELECT p.platform, p.external_post_id, e.engagement
                   FROM post_first_day_engagement e JOIN content_posts p
                     ON p.id = e.content_post_id
                   WHERE e.workspace_id = :ws""",
    "tier_change_days": """SELECT day, from_tier, to_tier, time_precision, changes
                          FROM tier_change_days WHERE workspace_id = :ws""",
    "tier_hold_days": """SELECT day, tier, entered, exited, exited_held_week, exited_held_month
                        FROM tier_hold_days WHERE workspace_id = :ws""",
    "platform_posts": """SELECT platform, posts, views, views_reported, likes, comments, shares,
                                saves, viewed_posts, viewed_views, viewed_engagement
                         FROM platform_post_totals WHERE workspace_id = :ws""",
    "sentiments": """SELECT i.dedup_key, s.label FROM comment_sentiments s
                     JOIN follower_interactions i ON i.id = s.interaction_id
                     WHERE s.workspace_id = :ws""",
    "log": """SELECT platform, dedup_key, interaction_value, edited_at FROM follower_interactions
              WHERE workspace_id = :ws""",
}


def _derived(session: Session, ws: Workspace) -> dict[str, set[tuple[Any, ...]]]:
    return {name: row_set(session, sql, ws.id) for name, sql in DERIVED.items()}


def _user(handle: str) -> dict[str, Any]:
    return {"external_user_id": handle, "username": handle}


def _interaction(handle: str, kind: str, post: str | None, at: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "interaction",
        "platform": "bluesky",
        "interaction_type": kind,
        "user": _user(handle),
        **({"external_post_id": post} if post else {}),
        "occurred_at": at,
        **extra,
    }


def _world() -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """(kept records, the records to delete, the deletes naming them)."""
    posts = [
        {"type": "post", "platform": "bluesky", "external_post_id": p, "metrics": {"likes": 3},
         "posted_at": "2026-10-01T10:00:00Z", "content": {"key": p, "title": p}}
        for p in ("p1", "p2")
    ]  # fmt: skip
    kept = [
        *posts,
        *(
            _interaction("amy", "like", "p1", f"2026-10-{day:02}T12:00:00Z", external_id=f"l{day}")
            for day in range(1, 12)
        ),
        _interaction("amy", "comment", "p1", "2026-10-03T09:00:00Z", external_id="c1",
                     text="I love this, wonderful"),
        _interaction("bo", "comment", "p2", "2026-11-20T09:00:00Z", external_id="c2",
                     text="great stuff"),
        _interaction("bo", "follow", None, "2026-10-02T08:00:00Z", external_id="f1"),
        {"type": "follower", "platform": "bluesky", "external_user_id": "cy", "username": "cy"},
    ]  # fmt: skip
    victims = [
        # bo's only activity in October: the delete empties an active period and a cohort
        _interaction("bo", "comment", "p1", "2026-10-04T09:00:00Z", external_id="c3",
                     text="this is terrible and I hate it"),
        # enough repeats of a costly type to move amy's tier, so the tier history moves too
        *(
            _interaction("amy", "repost", "p2", f"2026-11-{day:02}T15:00:00Z",
                         external_id=f"r{day}")
            for day in range(1, 25)
        ),
        # cy's one interaction, without a time of its own ('observed')
        _interaction("cy", "like", "p2", "2026-11-05T10:00:00Z"),
    ]  # fmt: skip
    victims[-1].pop("occurred_at")
    deletes = [
        {"platform": "bluesky", "interaction_type": v["interaction_type"], "deleted": True,
         **({"external_id": v["external_id"]} if "external_id" in v else
            {"user": {"external_user_id": v["user"]["external_user_id"]},
             "external_post_id": v["external_post_id"]})}
        for v in victims
    ]  # fmt: skip
    return kept, victims, deletes


def _ingest(session: Session, ws: Workspace, records: list[dict[str, Any]]) -> Any:
    summary = ingest_records(session, workspace_id=ws.id, records=records, source="test")
    analyse_batch(session=session, workspace_id=ws.id, analyser=VaderAnalyser())
    return summary


def _never_stored(session: Session) -> dict[str, set[tuple[Any, ...]]]:
    kept, _, _ = _world()
    ws = create_workspace(session)
    _ingest(session, ws, kept)
    return _derived(session, ws)


def test_a_delete_leaves_every_derived_row_as_if_never_stored(session: Session) -> None:
    kept, victims, deletes = _world()
    ws = create_workspace(session)
    _ingest(session, ws, kept[:8])
    _ingest(session, ws, [*kept[8:], *victims])
    before = _derived(session, ws)

    summary = changes.apply(session=session, workspace_id=ws.id, changes=deletes)

    assert (summary.interactions_deleted, summary.changes_waiting) == (len(deletes), 0)
    after = _derived(session, ws)
    expected = _never_stored(session)
    assert after == expected
    assert all(before[name] != expected[name] for name in ("counts", "tier_history", "retention"))

    # a full rebuild from the log (`fanlens score --full`, the retention rebuild) agrees
    scoring.rescore_workspace(session=session, workspace_id=ws.id, rebuild_counts=True)
    session.execute(text("SELECT fanlens_retention_rebuild_workspace(:ws)"), {"ws": ws.id})
    assert _derived(session, ws) == expected


def test_a_deleted_interaction_is_never_stored_again(session: Session) -> None:
    kept, victims, deletes = _world()
    ws = create_workspace(session)
    _ingest(session, ws, [*kept, *victims])
    changes.apply(session=session, workspace_id=ws.id, changes=deletes)
    deleted = _derived(session, ws)

    again = _ingest(session, ws, [*kept, *victims])  # a poll, the stream again, a re-import
    repeat = changes.apply(session=session, workspace_id=ws.id, changes=deletes)

    assert again.interactions_inserted == 0
    assert (repeat.interactions_deleted, repeat.changes_waiting) == (0, len(deletes))
    assert _derived(session, ws) == deleted


def test_a_delete_before_its_interaction_keeps_it_out(session: Session) -> None:
    kept, victims, deletes = _world()
    ws = create_workspace(session)

    early = changes.apply(session=session, workspace_id=ws.id, changes=deletes)
    stored = _ingest(session, ws, [*kept, *victims])

    assert (early.interactions_deleted, early.changes_waiting) == (0, len(deletes))
    assert stored.interactions_inserted == len(kept) - 3  # the posts and cy's follower record
    assert _derived(session, ws) == _never_stored(session)


def _text_of(session: Session, ws: Workspace, external_id: str) -> tuple[Any, ...]:
    row = session.execute(
        text(
            "SELECT i.interaction_value, i.edited_at, s.label FROM follower_interactions i "
            "LEFT JOIN comment_sentiments s ON s.interaction_id = i.id "
            "WHERE i.workspace_id = :ws AND i.external_id = :id"
        ),
        {"ws": ws.id, "id": external_id},
    ).one()
    return tuple(row)


def _edit(external_id: str, words: str, at: str) -> dict[str, Any]:
    return {"platform": "bluesky", "interaction_type": "comment", "external_id": external_id,
            "text": words, "edited_at": at}  # fmt: skip


def test_an_edit_replaces_the_text_and_its_sentiment(session: Session) -> None:
    kept, _, _ = _world()
    ws = create_workspace(session)
    _ingest(session, ws, kept)
    scores = row_set(session, DERIVED["scores"], ws.id)
    assert _text_of(session, ws, "c1") == ("I love this, wonderful", None, "positive")

    late = "2026-10-03T10:00:00+00:00"
    summary = changes.apply(
        session=session, workspace_id=ws.id, changes=[_edit("c1", "awful, I hate it", late)]
    )
    assert summary.interactions_edited == 1
    edited = _text_of(session, ws, "c1")
    assert (edited[0], edited[1].isoformat(), edited[2]) == ("awful, I hate it", late, None)

    analyse_batch(session=session, workspace_id=ws.id, analyser=VaderAnalyser())
    assert _text_of(session, ws, "c1")[2] == "negative"
    assert row_set(session, DERIVED["scores"], ws.id) == scores  # an edit scores nothing

    # an older edit arriving late, and the original text polled again, change nothing
    older = changes.apply(
        session=session,
        workspace_id=ws.id,
        changes=[_edit("c1", "first edit", "2026-10-03T09:30:00Z")],
    )
    again = _ingest(session, ws, kept)
    assert (older.interactions_edited, again.interactions_inserted) == (0, 0)
    assert _text_of(session, ws, "c1") == ("awful, I hate it", edited[1], "negative")


def test_an_edit_before_its_interaction_is_stored_with_it(session: Session) -> None:
    kept, _, _ = _world()
    ws = create_workspace(session)
    early = changes.apply(
        session=session,
        workspace_id=ws.id,
        changes=[_edit("c2", "great stuff, edited", "2026-11-21T00:00:00Z")],
    )
    _ingest(session, ws, kept)

    assert (early.interactions_edited, early.changes_waiting) == (0, 1)
    assert _text_of(session, ws, "c2")[0] == "great stuff, edited"
    assert _text_of(session, ws, "c2")[2] == "positive"


def test_a_bad_change_is_rejected_and_the_others_apply(session: Session) -> None:
    kept, victims, deletes = _world()
    ws = create_workspace(session)
    _ingest(session, ws, [*kept, *victims[:1]])
    batch: list[Any] = [
        "not an object",
        {"interaction_type": "comment", "external_id": "c3", "deleted": True},
        {"platform": "bluesky", "interaction_type": "comment", "external_id": "c3"},
        {"platform": "bluesky", "interaction_type": "comment", "external_id": "c3",
         "deleted": "yes"},
        {"platform": "bluesky", "interaction_type": "like", "deleted": True},
        _edit("c2", "bad \x00 text", "2026-11-21T00:00:00Z"),
        _edit("c2", "late", "2026-13-01T00:00:00Z"),
        deletes[0],
    ]  # fmt: skip

    summary = changes.apply(session=session, workspace_id=ws.id, changes=batch, source="live")

    assert summary.interactions_deleted == 1
    assert [(r.line, r.reason) for r in summary.rejects] == [
        (1, "wrong_type"),
        (2, "missing_field"),
        (3, "missing_field"),
        (4, "wrong_type"),
        (5, "missing_field"),
        (6, "nul_character"),
        (7, "bad_timestamp"),
    ]
    stored = session.scalar(
        text("SELECT count(*) FROM ingest_rejects WHERE workspace_id = :ws AND source = 'live'"),
        {"ws": ws.id},
    )
    assert stored == 7
    with pytest.raises(InvalidInput, match="at most 1,000"):
        changes.apply(session=session, workspace_id=ws.id, changes=[deletes[0]] * 1_001)


def test_interchange_lines_carry_deletes_and_edits_in_any_order(session: Session) -> None:
    """A JSONL import (or the ingest API) holding an interaction and its delete or edit in the
    same batch ends the same whichever comes first."""
    kept, victims, deletes = _world()
    records = [
        *kept,
        {"type": "interaction", **deletes[0]},
        *victims,
        {**kept[-3], "text": "great stuff, edited", "edited_at": "2026-11-21T00:00:00Z"},
    ]
    data = "".join(json.dumps(r) + "\n" for r in records).encode()
    ws = create_workspace(session)
    for batch_size in (len(records), 1):
        summary = import_stream(
            io.BytesIO(data),
            workspace_id=ws.id,
            source="live.jsonl",
            session_scope=lambda: nullcontext(session),
            batch_size=batch_size,
        )
        assert summary.rejected_total == 0
    assert (
        session.scalar(text("SELECT count(*) FROM follower_interactions WHERE external_id = 'c3'"))
        == 0
    )
    assert _text_of(session, ws, "c2")[0] == "great stuff, edited"


def test_a_change_by_the_platform_id_alone_finds_its_type(session: Session) -> None:
    """A stream's delete of a post says nothing of whether it was a comment, reply or quote."""
    kept, victims, _ = _world()
    quote = _interaction("cy", "quote", "p1", "2026-11-06T10:00:00Z", external_id="q1", text="hm")
    ws = create_workspace(session)
    _ingest(session, ws, [*kept, victims[0]])
    by_id = [
        {"platform": "bluesky", "external_id": "c3", "deleted": True},
        {"platform": "bluesky", "external_id": "c1", "text": "fixed", "edited_at": T_EDIT},
        {"platform": "bluesky", "external_id": "q1", "deleted": True},
    ]

    summary = changes.apply(session=session, workspace_id=ws.id, changes=by_id)
    again = _ingest(session, ws, [victims[0], quote])

    assert (summary.interactions_deleted, summary.interactions_edited) == (1, 1)
    assert summary.changes_waiting == 1  # q1: not stored yet
    assert again.interactions_inserted == 0
    assert _text_of(session, ws, "c1")[0] == "fixed"
    assert _derived(session, ws) == _derived_of(session, [*kept])
    missing = changes.apply(
        session=session, workspace_id=ws.id, changes=[{"platform": "bluesky", "deleted": True}]
    )
    assert [r.reason for r in missing.rejects] == ["missing_field"]


T_EDIT = "2026-10-03T10:00:00Z"


def _derived_of(session: Session, records: list[dict[str, Any]]) -> dict[str, set[tuple[Any, ...]]]:
    ws = create_workspace(session)
    _ingest(session, ws, records)
    changes.apply(
        session=session,
        workspace_id=ws.id,
        changes=[_edit("c1", "fixed", T_EDIT)],
    )
    analyse_batch(session=session, workspace_id=ws.id, analyser=VaderAnalyser())
    return _derived(session, ws)
