"""Property tests on real PostgreSQL: each example runs in a savepoint that is rolled back."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.orm import Session

from fanlens.audience.models import Follower
from fanlens.scoring import service
from fanlens.scoring.schemas import DEFAULT_WEIGHTS, ScoringConfigChange
from fanlens.workspaces.models import Workspace
from tests.fixtures.builders import create_follower, create_workspace
from tests.scoring.helpers import T0, insert_batch, scores

TYPES = [*DEFAULT_WEIGHTS, "duet", "stitch"]  # two types without a default weight
SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# (follower index, interaction type, minutes after T0)
interaction = st.tuples(st.integers(0, 4), st.sampled_from(TYPES), st.integers(0, 60 * 24 * 90))
interactions = st.lists(interaction, max_size=40)
weights = st.dictionaries(
    st.sampled_from(TYPES), st.decimals(0, 50, places=1, allow_nan=False), max_size=6
)


@contextmanager
def rolled_back(session: Session) -> Iterator[None]:
    savepoint = session.begin_nested()
    try:
        yield
    finally:
        savepoint.rollback()


def _world(session: Session) -> tuple[Workspace, list[Follower]]:
    ws = create_workspace(session)
    return ws, [create_follower(session, ws) for _ in range(5)]


def _rows(fans: list[Follower], picked: list[tuple[int, str, int]]):  # type: ignore[no-untyped-def]
    return [(fans[i], kind, T0 + timedelta(minutes=m)) for i, kind, m in picked]


def _tier(score: Decimal) -> str:
    return (
        next(t for t, low in (("super_fan", 500), ("active", 100), ("lurker", 10)) if score >= low)
        if score >= 10
        else "inactive"
    )


@SETTINGS
@given(picked=interactions)
def test_stored_score_equals_the_formula(session: Session, picked: list) -> None:  # type: ignore[type-arg]
    with rolled_back(session):
        ws, fans = _world(session)
        insert_batch(session, _rows(fans, picked))
        stored = scores(session, ws.id)
        per_fan = Counter((i, kind) for i, kind, _ in picked)
        for i, fan in enumerate(fans):
            expected = sum(
                (
                    n * DEFAULT_WEIGHTS.get(kind, Decimal(0))
                    for (j, kind), n in per_fan.items()
                    if j == i
                ),
                Decimal(0),
            )
            if not any(j == i for j, _ in per_fan):
                assert fan.id not in stored
                continue
            score, tier = stored[fan.id][0], stored[fan.id][1]
            assert (score, tier) == (expected, _tier(expected))


@SETTINGS
@given(
    a=st.decimals(0, 2000, places=2),
    b=st.decimals(0, 2000, places=2),
    thresholds=st.lists(st.integers(0, 1000), min_size=3, max_size=3, unique=True),
)
def test_tier_is_monotonic_in_score(
    session: Session, a: Decimal, b: Decimal, thresholds: list[int]
) -> None:
    lurker, active, super_fan = sorted(thresholds)
    order = ["inactive", "lurker", "active", "super_fan"]
    with rolled_back(session):
        ws = create_workspace(session)
        service.update_config(
            session=session,
            workspace_id=ws.id,
            rescore=False,
            change=ScoringConfigChange(
                super_fan=Decimal(super_fan), active=Decimal(active), lurker=Decimal(lurker)
            ),
        )
        tier = text("SELECT determine_engagement_tier(:ws, :s)")
        low, high = sorted((a, b))
        assert order.index(session.scalar(tier, {"ws": ws.id, "s": low})) <= order.index(
            session.scalar(tier, {"ws": ws.id, "s": high})
        )


@SETTINGS
@given(batches=st.lists(interactions, min_size=1, max_size=5))
def test_incremental_batches_end_equal_to_a_full_rescore(session: Session, batches: list) -> None:  # type: ignore[type-arg]
    with rolled_back(session):
        ws, fans = _world(session)
        for batch in batches:
            insert_batch(session, _rows(fans, batch))
        incremental = scores(session, ws.id)
        session.execute(
            text("DELETE FROM follower_engagement_scores WHERE workspace_id = :w"), {"w": ws.id}
        )
        session.execute(
            text("DELETE FROM follower_interaction_counts WHERE workspace_id = :w"), {"w": ws.id}
        )
        service.rescore_workspace(session=session, workspace_id=ws.id, rebuild_counts=True)
        assert scores(session, ws.id) == incremental


@SETTINGS
@given(batches=st.lists(interactions, min_size=1, max_size=5), drifted=st.sets(st.integers(0, 4)))
def test_full_rescore_repairs_drifted_rows_and_the_bulk_rebuild_agrees(
    session: Session,
    batches: list,  # type: ignore[type-arg]
    drifted: set[int],
) -> None:
    """The nightly check rewrites exactly what differs from the log; the set-based rebuild it
    falls back to for a mostly-drifted workspace (a backfill) reaches the same rows."""
    with rolled_back(session):
        ws, fans = _world(session)
        for batch in batches:
            insert_batch(session, _rows(fans, batch))
        incremental = scores(session, ws.id)
        ids = [fans[i].id for i in drifted]
        session.execute(
            text(
                "UPDATE follower_engagement_scores SET engagement_score = engagement_score + 1, "
                "interaction_count = interaction_count + 1 WHERE follower_id = ANY(:ids)"
            ),
            {"ids": ids},
        )
        session.execute(
            text(
                "UPDATE follower_interaction_counts SET interaction_count = interaction_count + 2 "
                "WHERE follower_id = ANY(:ids)"
            ),
            {"ids": ids},
        )
        service.rescore_workspace(session=session, workspace_id=ws.id, rebuild_counts=True)
        assert scores(session, ws.id) == incremental
        counts = text(
            "SELECT follower_id, interaction_type, interaction_count FROM "
            "follower_interaction_counts WHERE workspace_id = :w ORDER BY 1, 2"
        )
        repaired = session.execute(counts, {"w": ws.id}).all()

        session.execute(
            text("DELETE FROM follower_engagement_scores WHERE workspace_id = :w"), {"w": ws.id}
        )
        session.execute(
            text("DELETE FROM follower_interaction_counts WHERE workspace_id = :w"), {"w": ws.id}
        )
        session.execute(text("SELECT fanlens_rebuild_workspace(:w)"), {"w": ws.id})
        assert scores(session, ws.id) == incremental
        assert session.execute(counts, {"w": ws.id}).all() == repaired


@SETTINGS
@given(picked=interactions, new_weights=weights)
def test_weight_change_then_rescore_equals_fresh_import(
    session: Session,
    picked: list,
    new_weights: dict[str, Decimal],  # type: ignore[type-arg]
) -> None:
    change = ScoringConfigChange(weights=new_weights)
    with rolled_back(session):
        before, before_fans = _world(session)
        insert_batch(session, _rows(before_fans, picked))
        service.update_config(session=session, workspace_id=before.id, change=change)

        after, after_fans = _world(session)
        service.update_config(session=session, workspace_id=after.id, change=change)
        insert_batch(session, _rows(after_fans, picked))

        def by_position(ws: Workspace, fans: list[Follower]):  # type: ignore[no-untyped-def]
            stored = scores(session, ws.id)
            return [stored.get(f.id) for f in fans]

        assert by_position(before, before_fans) == by_position(after, after_fans)
