"""Observed times upgraded to exact on real PostgreSQL: an interaction first stored with the time
fanlens saw it (a webhook comment) takes the platform's time when a later record of it brings
one (the poll), and every derived row ends as if only the exact record had ever been stored."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from fanlens.interactions.ingest import ingest_records
from fanlens.workspaces.models import Workspace
from tests.fixtures.builders import create_workspace
from tests.interactions.test_changes import _derived, _ingest, _interaction


def _world() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(the records every workspace gets, the comments a webhook stores first)."""
    posts = [
        {"type": "post", "platform": "bluesky", "external_post_id": p, "metrics": {"likes": 3},
         "posted_at": "2026-10-01T10:00:00Z", "content": {"key": p, "title": p}}
        for p in ("p1", "p2")
    ]  # fmt: skip
    base = [
        *posts,
        *(
            _interaction("amy", "like", "p1", f"2026-10-{day:02}T12:00:00Z", external_id=f"l{day}")
            for day in range(1, 12)
        ),
        _interaction("bo", "follow", None, "2026-10-02T08:00:00Z", external_id="f1"),
    ]
    late = [
        # dy's only activity: observed, dy has no first/last seen, cohort or active period
        _interaction("dy", "comment", "p1", "2026-10-20T09:00:00Z", external_id="c1",
                     text="so good"),
        # bo's comments move bo into a new month and, together, a tier
        *(
            _interaction("bo", "comment", "p2", f"2026-11-{day:02}T15:00:00Z",
                         external_id=f"c{day + 10}", text="more please")
            for day in range(1, 25)
        ),
    ]  # fmt: skip
    return base, late


def _observed(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k != "occurred_at"} for r in records]


def _precisions(session: Session, ws: Workspace) -> dict[str, tuple[Any, str]]:
    rows = session.execute(
        text(
            "SELECT external_id, occurred_at, time_precision FROM follower_interactions "
            "WHERE workspace_id = :ws AND external_id LIKE 'c%'"
        ),
        {"ws": ws.id},
    )
    return {r.external_id: (r.occurred_at, r.time_precision) for r in rows}


def _only_exact(session: Session) -> dict[str, set[tuple[Any, ...]]]:
    base, late = _world()
    ws = create_workspace(session)
    _ingest(session, ws, [*base, *late])
    return _derived(session, ws)


def test_an_observed_interaction_takes_the_exact_time_a_later_record_brings(
    session: Session,
) -> None:
    base, late = _world()
    ws = create_workspace(session)
    _ingest(session, ws, [*base, *_observed(late)])  # the webhook: no times
    observed = _derived(session, ws)
    assert {p for _, p in _precisions(session, ws).values()} == {"observed"}

    poll = _ingest(session, ws, [*base, *late])  # the poll: the platform's times

    assert (poll.interactions_inserted, poll.interactions_upgraded) == (0, len(late))
    assert {p for _, p in _precisions(session, ws).values()} == {"exact"}
    expected = _only_exact(session)
    assert _derived(session, ws) == expected
    assert all(observed[name] != expected[name] for name in ("seen", "daily", "retention"))
    assert observed["tier_history"] != expected["tier_history"]


def test_one_batch_with_both_copies_stores_the_exact_time(session: Session) -> None:
    base, late = _world()
    ws = create_workspace(session)

    summary = _ingest(session, ws, [*base, *_observed(late), *late])

    assert summary.interactions_upgraded <= len(late)  # whichever copy the insert kept
    assert {p for _, p in _precisions(session, ws).values()} == {"exact"}
    assert _derived(session, ws) == _only_exact(session)


def test_an_exact_time_is_never_replaced(session: Session) -> None:
    base, late = _world()
    ws = create_workspace(session)
    _ingest(session, ws, [*base, *late])
    stored = _precisions(session, ws)
    derived = _derived(session, ws)

    # a later observed copy (a webhook after the poll) and a disagreeing exact one
    shifted = [{**r, "occurred_at": "2026-12-01T00:00:00Z"} for r in late]
    again = ingest_records(
        session, workspace_id=ws.id, records=[*_observed(late), *shifted], source="test"
    )

    assert (again.interactions_inserted, again.interactions_upgraded) == (0, 0)
    assert _precisions(session, ws) == stored
    assert _derived(session, ws) == derived
