"""Tier history at behaviour time: each change is dated at the interaction whose running score
first reached the tier, whether the log came in one import, many batches or a backfill; a new
scoring config is a change of its own kind. Expected histories are replayed here, in Python,
from the records the test ingests."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from fanlens.analytics import insights
from fanlens.analytics import service as analytics_service
from fanlens.audience.models import Follower
from fanlens.interactions.ingest import ingest_records
from fanlens.interactions.models import FollowerInteraction
from fanlens.scoring import service
from fanlens.scoring.models import FollowerTierChange
from fanlens.scoring.schemas import DEFAULT_WEIGHTS, ScoringConfigChange
from fanlens.workspaces.models import Workspace
from tests.fixtures.builders import create_workspace

MONDAY = datetime(2026, 9, 7, 9, 0, tzinfo=UTC)  # a Monday: week boundaries are easy to read
AS_OF = date(2026, 11, 30)  # the tier-movement window's last week
WEEKS = 13  # ... and its length: from the week of Sep 7
DEFAULT_TIERS = {"super_fan": Decimal(500), "active": Decimal(100), "lurker": Decimal(10)}
RANK = {"inactive": 0, "lurker": 1, "active": 2, "super_fan": 3}


class Event(NamedTuple):
    user: str
    kind: str
    at: datetime | None  # None: no platform time (fanlens records when it saw it)


class Change(NamedTuple):
    user: str
    from_tier: str | None
    to_tier: str
    at: datetime
    precision: str


def _record(n: int, e: Event) -> dict[str, Any]:
    record: dict[str, Any] = {
        "type": "interaction",
        "platform": "tiktok",
        "interaction_type": e.kind,
        "external_id": f"x{n}-{e.user}-{e.kind}",
        "user": {"external_user_id": e.user, "username": e.user},
    }
    if e.at is not None:
        record["occurred_at"] = e.at.isoformat()
    return record


def _ingest(session: Session, ws: Workspace, events: list[Event], start: int = 0) -> None:
    records = [_record(start + n, e) for n, e in enumerate(events)]
    summary = ingest_records(session, workspace_id=ws.id, records=records, source="test")
    assert summary.rejected_total == 0 and summary.interactions_inserted == len(events)


def _tier(score: Decimal, tiers: dict[str, Decimal]) -> str:
    for name in ("super_fan", "active", "lurker"):
        if score >= tiers[name]:
            return name
    return "inactive"


def _stored_times(session: Session, ws: Workspace) -> dict[str, datetime]:
    """When fanlens saw each time-less interaction (the input's observed time), by external id."""
    rows = session.execute(
        select(FollowerInteraction.external_id, FollowerInteraction.occurred_at).where(
            FollowerInteraction.workspace_id == ws.id,
            FollowerInteraction.time_precision == "observed",
        )
    ).all()
    return {str(r[0]): r[1] for r in rows}


def _replay(
    events: Iterable[tuple[int, Event]],
    seen: dict[str, datetime],
    weights: dict[str, Decimal],
    tiers: dict[str, Decimal],
) -> list[Change]:
    """Each user's interactions in time order (a time-less one at the time it was seen), a
    running weighted score, a change wherever the tier it reaches changes."""
    timed = []
    for n, e in events:
        at = e.at if e.at is not None else seen[f"x{n}-{e.user}-{e.kind}"]
        timed.append((e.user, at, e.at is None, e))
    changes: list[Change] = []
    score: dict[str, Decimal] = {}
    tier: dict[str, str | None] = {}
    for user, at, observed, e in sorted(timed, key=lambda t: (t[0], t[1], t[2])):
        score[user] = score.get(user, Decimal(0)) + weights.get(e.kind, Decimal(0))
        now = _tier(score[user], tiers)
        if now != tier.get(user):
            precision = "observed" if observed else "exact"
            changes.append(Change(user, tier.get(user), now, at, precision))
            tier[user] = now
    return changes


def _history(session: Session, ws: Workspace, kind: str = "behaviour") -> list[Change]:
    rows = session.execute(
        select(
            Follower.external_user_id,
            FollowerTierChange.from_tier,
            FollowerTierChange.to_tier,
            FollowerTierChange.changed_at,
            FollowerTierChange.time_precision,
        )
        .join(Follower, Follower.id == FollowerTierChange.follower_id)
        .where(FollowerTierChange.workspace_id == ws.id, FollowerTierChange.kind == kind)
        .order_by(Follower.external_user_id, FollowerTierChange.changed_at)
    ).all()
    return [Change(*r) for r in rows]


def _world() -> list[Event]:
    """`fan` climbs over eleven weeks (lurker in week 1, active in week 4, super fan in week
    10), `steady` becomes active in week 2 and stays, `casual` stays a lurker; the list is
    shuffled in time, as files are."""
    fan = [Event("fan", "like", MONDAY)]
    fan += [Event("fan", "share", MONDAY + timedelta(days=7, hours=h)) for h in range(2)]
    fan += [Event("fan", "comment", MONDAY + timedelta(days=21 + d)) for d in range(17)]
    fan += [
        Event("fan", "link_click", MONDAY + timedelta(days=30 + 2 * d, hours=1)) for d in range(27)
    ]
    steady = [Event("steady", "share", MONDAY + timedelta(days=9, minutes=m)) for m in range(11)]
    casual = [Event("casual", "comment", MONDAY + timedelta(days=40, hours=h)) for h in range(3)]
    events = fan + steady + casual
    return events[1::2] + events[::2]


def _numbered(events: list[Event]) -> list[tuple[int, Event]]:
    return list(enumerate(events))


def test_import_dates_each_tier_change_at_the_interaction_that_reached_it(
    session: Session,
) -> None:
    ws = create_workspace(session)
    events = _world()
    _ingest(session, ws, events)
    expected = _replay(_numbered(events), {}, DEFAULT_WEIGHTS, DEFAULT_TIERS)
    assert [c.to_tier for c in expected if c.user == "fan"] == [
        "inactive",
        "lurker",
        "active",
        "super_fan",
    ]
    assert _history(session, ws) == expected
    fan_dates = [c.at for c in expected if c.user == "fan"]
    assert fan_dates[-1] - fan_dates[0] > timedelta(
        weeks=9
    )  # not the import's fraction of a second


def test_batches_date_each_change_at_the_interaction_that_caused_it(session: Session) -> None:
    """Incremental scoring: the log arrives in batches in time order, a crossing inside a batch
    is dated at its interaction, not at the batch; late batches holding an interaction older
    than the follower's first, or one between two of their changes (the tier stays), re-date
    the history."""
    ws = create_workspace(session)
    events = sorted(_world(), key=lambda e: e.at or MONDAY)
    early = Event("fan", "share", MONDAY - timedelta(days=3))  # before the first, arrives late
    middle = Event("fan", "comment", MONDAY + timedelta(days=8))  # moves the active date only
    batches = [events[n : n + 7] for n in range(0, len(events), 7)] + [[early], [middle]]
    start = 0
    for batch in batches:
        _ingest(session, ws, batch, start)
        start += len(batch)
    numbered = _numbered([e for batch in batches for e in batch])
    expected = _replay(numbered, {}, DEFAULT_WEIGHTS, DEFAULT_TIERS)
    assert _history(session, ws) == expected
    assert next(c for c in expected if c.user == "fan").at == early.at
    without_middle = _replay(numbered[:-1], {}, DEFAULT_WEIGHTS, DEFAULT_TIERS)
    assert without_middle != expected  # the late comment did move a date


def test_backfill_replays_the_history_from_the_log(session: Session) -> None:
    """A backfill (`fanlens score --full` over a log whose counts, scores and history were not
    kept, as a bulk load leaves them) rebuilds the history at behaviour time."""
    ws = create_workspace(session)
    events = _world()
    _ingest(session, ws, events)
    for table in ("follower_tier_changes", "follower_engagement_scores"):
        session.execute(text(f"DELETE FROM {table} WHERE workspace_id = :ws"), {"ws": ws.id})
    session.execute(
        text("DELETE FROM follower_interaction_counts WHERE workspace_id = :ws"), {"ws": ws.id}
    )
    service.rescore_workspace(session=session, workspace_id=ws.id, rebuild_counts=True)
    assert _history(session, ws) == _replay(_numbered(events), {}, DEFAULT_WEIGHTS, DEFAULT_TIERS)


def _movement(changes: list[Change], start: date) -> dict[str, int]:
    """Up, down, new and time-unknown changes in the week from `start`, counted here."""
    week = [c for c in changes if start <= c.at.astimezone(UTC).date() < start + timedelta(weeks=1)]
    exact = [c for c in week if c.precision == "exact"]
    return {
        "new": sum(1 for c in exact if c.from_tier is None),
        "up": sum(1 for c in exact if c.from_tier and RANK[c.to_tier] > RANK[c.from_tier]),
        "down": sum(1 for c in exact if c.from_tier and RANK[c.to_tier] < RANK[c.from_tier]),
        "time_unknown": len(week) - len(exact),
    }


def _assert_movement(session: Session, ws: Workspace, expected: list[Change]) -> None:
    m = insights.tier_movement(
        session=session, workspace_id=ws.id, grain="week", periods=WEEKS, as_of=AS_OF
    )
    assert m.periods[0].period == MONDAY.date()
    for p in m.periods:
        got = {"new": p.new, "up": p.up, "down": p.down, "time_unknown": p.time_unknown}
        assert got == _movement(expected, p.period), p.period


def test_tier_movement_per_week_counts_the_behaviour_changes(session: Session) -> None:
    ws = create_workspace(session)
    events = _world()
    _ingest(session, ws, events)
    expected = _replay(_numbered(events), {}, DEFAULT_WEIGHTS, DEFAULT_TIERS)
    _assert_movement(session, ws, expected)
    weeks = [_movement(expected, MONDAY.date() + timedelta(weeks=w)) for w in range(WEEKS)]
    assert sum(w["new"] + w["up"] + w["down"] for w in weeks) == len(expected)  # all in the window
    assert sum(1 for w in weeks if w["up"]) >= 4  # spread over weeks, not one import week


def test_a_new_config_is_its_own_kind_and_moves_no_fan(session: Session) -> None:
    """Comments weigh 1 instead of 5 and super fans need 400: the followers whose tier the
    rules moved get one `config` row each, dated when the rules took effect; the behaviour
    history and the weekly movement are the replay under the new rules; no week counts the
    config's moves."""
    ws = create_workspace(session)
    events = _world()
    _ingest(session, ws, events)
    before = {c.user: c.to_tier for c in _history(session, ws)}  # ordered: last change wins
    config = service.update_config(
        session=session,
        workspace_id=ws.id,
        change=ScoringConfigChange(weights={"comment": Decimal(1)}, super_fan=Decimal(400)),
    )
    weights = DEFAULT_WEIGHTS | {"comment": Decimal(1)}
    tiers = DEFAULT_TIERS | {"super_fan": Decimal(400)}
    expected = _replay(_numbered(events), {}, weights, tiers)
    after = {c.user: c.to_tier for c in expected}
    assert before != after
    assert _history(session, ws) == expected
    assert _history(session, ws, kind="config") == [
        Change(user, before[user], after[user], config.created_at, "exact")
        for user in sorted(before)
        if before[user] != after[user]
    ]
    _assert_movement(session, ws, expected)


def test_a_change_made_by_an_observed_interaction_is_dated_by_when_it_was_seen(
    session: Session,
) -> None:
    """`late` reaches lurker through dated comments, then active only through likes without a
    platform time: that change is recorded with time_precision 'observed' at the time fanlens
    saw them, and tier movement counts it apart, as time unknown."""
    ws = create_workspace(session)
    dated = [Event("late", "comment", MONDAY + timedelta(days=2, hours=h)) for h in range(3)]
    seen = [Event("late", "like", None) for _ in range(90)]
    events = dated + seen
    _ingest(session, ws, events)
    expected = _replay(
        _numbered(events), _stored_times(session, ws), DEFAULT_WEIGHTS, DEFAULT_TIERS
    )
    assert [(c.to_tier, c.precision) for c in expected] == [
        ("inactive", "exact"),
        ("lurker", "exact"),
        ("active", "observed"),
    ]
    assert _history(session, ws) == expected
    movement = insights.tier_movement(
        session=session, workspace_id=ws.id, grain="week", periods=1, as_of=expected[-1].at.date()
    )
    (week,) = movement.periods
    assert (week.up, week.new, week.time_unknown) == (0, 0, 1)


def test_history_follows_the_log_when_interactions_go(session: Session) -> None:
    ws = create_workspace(session)
    events = _world()
    _ingest(session, ws, events)
    fan_id = session.scalar(
        select(Follower.id).where(
            Follower.workspace_id == ws.id, Follower.external_user_id == "fan"
        )
    )
    assert isinstance(fan_id, uuid.UUID)
    session.execute(
        text(
            "DELETE FROM follower_interactions WHERE follower_id = :f AND interaction_type = "
            "'link_click'"
        ),
        {"f": fan_id},
    )
    kept = [
        (n, e) for n, e in _numbered(events) if not (e.user == "fan" and e.kind == "link_click")
    ]
    assert _history(session, ws) == _replay(kept, {}, DEFAULT_WEIGHTS, DEFAULT_TIERS)
    session.execute(text("DELETE FROM follower_interactions WHERE follower_id = :f"), {"f": fan_id})
    assert [c for c in _history(session, ws) if c.user == "fan"] == []


def _answers(session: Session, ws: Workspace) -> tuple[Any, ...]:
    """What a workspace's tier history shows: the history, the weekly tier movement and the
    followers per tier."""
    movement = insights.tier_movement(
        session=session, workspace_id=ws.id, grain="week", periods=WEEKS, as_of=AS_OF
    )
    tiers = analytics_service.tier_distribution(session=session, workspace_id=ws.id)
    return _history(session, ws), movement, tiers


def test_a_batch_with_older_and_newer_interactions_replays_the_history(session: Session) -> None:
    """A per-batch ingest whose batch holds a follower's interaction between two of their tier
    changes together with one after their last interaction (their tier stays): the history is
    re-dated as if the log had come in time order, and the answers built on it agree."""
    live, ordered = create_workspace(session), create_workspace(session)
    events = sorted(_world(), key=lambda e: e.at or MONDAY)
    middle = Event("fan", "comment", MONDAY + timedelta(days=8))  # moves the active date only
    newest = Event("fan", "like", max(e.at for e in events if e.at) + timedelta(days=3))
    start = 0
    for batch in [events[n : n + 7] for n in range(0, len(events), 7)] + [[middle, newest]]:
        _ingest(session, live, batch, start)
        start += len(batch)
    everything = sorted([*events, middle, newest], key=lambda e: e.at or MONDAY)
    for n in range(0, len(everything), 7):
        _ingest(session, ordered, everything[n : n + 7], n)

    expected = _replay(_numbered(everything), {}, DEFAULT_WEIGHTS, DEFAULT_TIERS)
    assert expected != _replay(_numbered(events), {}, DEFAULT_WEIGHTS, DEFAULT_TIERS)
    assert _history(session, live) == expected
    assert _answers(session, live) == _answers(session, ordered)


def test_deleting_an_old_interaction_replays_the_history(session: Session) -> None:
    """A delete of an interaction between two of a follower's tier changes (their tier stays)
    re-dates the history as if it had never been stored."""
    ws = create_workspace(session)
    events = sorted(_world(), key=lambda e: e.at or MONDAY)
    middle = Event("fan", "comment", MONDAY + timedelta(days=8))
    _ingest(session, ws, [*events, middle])
    assert _history(session, ws) != _replay(_numbered(events), {}, DEFAULT_WEIGHTS, DEFAULT_TIERS)
    session.execute(
        text("DELETE FROM follower_interactions WHERE workspace_id = :ws AND occurred_at = :at"),
        {"ws": ws.id, "at": middle.at},
    )
    assert _history(session, ws) == _replay(_numbered(events), {}, DEFAULT_WEIGHTS, DEFAULT_TIERS)


def test_a_new_time_for_an_interaction_between_changes_replays_the_history(
    session: Session,
) -> None:
    """An interaction whose time moves between two of the follower's changes (their score row,
    first and last times stay as they were) re-dates the history."""
    ws = create_workspace(session)
    events = sorted(_world(), key=lambda e: e.at or MONDAY)
    _ingest(session, ws, events)
    late = next(e for e in reversed(events) if e.user == "fan" and e.kind == "comment")
    moved = late._replace(at=MONDAY + timedelta(days=8))
    session.execute(
        text(
            "UPDATE follower_interactions SET occurred_at = :to "
            "WHERE workspace_id = :ws AND occurred_at = :at AND interaction_type = 'comment'"
        ),
        {"ws": ws.id, "at": late.at, "to": moved.at},
    )
    expected = _replay(
        _numbered([moved if e is late else e for e in events]), {}, DEFAULT_WEIGHTS, DEFAULT_TIERS
    )
    assert expected != _replay(_numbered(events), {}, DEFAULT_WEIGHTS, DEFAULT_TIERS)
    assert _history(session, ws) == expected


def _damage(session: Session, ws: Workspace) -> None:
    """What a per-batch insert left before every batch with a follower's older interactions
    replayed them: a change dated later than the interaction that made it, one missing."""
    session.execute(
        text(
            "UPDATE follower_tier_changes SET changed_at = changed_at + interval '2 days' "
            "WHERE workspace_id = :ws AND to_tier = 'active'"
        ),
        {"ws": ws.id},
    )
    session.execute(
        text("DELETE FROM follower_tier_changes WHERE workspace_id = :ws AND to_tier = 'lurker'"),
        {"ws": ws.id},
    )


def test_score_full_replays_a_damaged_history_as_a_clean_rebuild(session: Session) -> None:
    """`fanlens score --full` replays the tier history: a history left wrong (its scores
    right, so the score drift check finds nothing) ends equal to a clean rebuild's, and so do
    the tier movement and tier counts read from it."""
    damaged, clean = create_workspace(session), create_workspace(session)
    events = _world()
    _ingest(session, damaged, events)
    _ingest(session, clean, events)
    _damage(session, damaged)
    assert _answers(session, damaged) != _answers(session, clean)

    service.rescore_workspace(session=session, workspace_id=damaged.id, rebuild_counts=True)
    assert _answers(session, damaged) != _answers(session, clean)  # the nightly rescore

    service.rescore_workspace(
        session=session, workspace_id=damaged.id, rebuild_counts=True, replay_history=True
    )
    assert _answers(session, damaged) == _answers(session, clean)
    assert _history(session, damaged) == _replay(
        _numbered(events), {}, DEFAULT_WEIGHTS, DEFAULT_TIERS
    )
