"""People: the 1 : 1 invariant, suggestions against planted truth, merge/unmerge, scores."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.orm import Session

from fanlens.demo.generate import generate_world
from fanlens.kit.errors import Conflict, NotFound
from fanlens.people import service
from fanlens.scoring.service import get_config
from tests.fixtures.builders import create_follower, create_workspace, interact
from tests.people.helpers import load, merged_pairs, planted_pairs, precision_recall, snapshot


def _counts(session: Session, ws: object) -> tuple[int, int, int]:
    row = session.execute(
        text(
            "SELECT (SELECT count(*) FROM followers WHERE workspace_id = :ws), "
            "(SELECT count(*) FROM person_identities WHERE workspace_id = :ws), "
            "(SELECT count(*) FROM people WHERE workspace_id = :ws)"
        ),
        {"ws": ws},
    ).one()
    return row[0], row[1], row[2]


def test_every_follower_gets_exactly_one_person(session: Session) -> None:
    ws = create_workspace(session)
    load(session, workspace_id=ws.id, world=generate_world("tiny", seed=3))
    followers, identities, people = _counts(session, ws.id)
    assert followers > 0 and followers == identities == people
    # Re-ingesting known followers creates no people; a follower added another way gets one.
    load(session, workspace_id=ws.id, world=generate_world("tiny", seed=3))
    fan = create_follower(session, ws, platform="bluesky", username="new_fan")
    assert _counts(session, ws.id) == (followers + 1, followers + 1, followers + 1)
    assert service.person_of(session=session, workspace_id=ws.id, follower_id=fan.id) == fan.id


def test_automatic_merges_are_precise_on_a_planted_world(session: Session) -> None:
    ws = create_workspace(session)
    world = generate_world("small", seed=7)
    ids = load(session, workspace_id=ws.id, world=world, interactions=False)
    run = service.refresh_suggestions(session=session, workspace_id=ws.id)
    precision, recall = precision_recall(merged_pairs(session, ws.id), planted_pairs(world, ids))
    print(f"auto-merge precision {precision:.3f} recall {recall:.3f} ({run})")
    assert run.auto_merged > 0
    assert precision >= 0.98
    assert recall >= 0.2  # link evidence covers about 40 % of planted people
    pending = service.suggestions(session=session, workspace_id=ws.id, limit=1000)
    assert pending and all(s.confidence < run.threshold for s in pending)
    assert {s.kind for s in pending} >= {"same_handle", "similar_handle"}
    # A second run finds nothing new and merges nothing more.
    again = service.refresh_suggestions(session=session, workspace_id=ws.id)
    assert (again.new_suggestions, again.auto_merged) == (0, 0)


def test_a_lower_threshold_merges_handle_evidence_too(session: Session) -> None:
    ws = create_workspace(session)
    world = generate_world("small", seed=7)
    ids = load(session, workspace_id=ws.id, world=world, interactions=False)
    service.refresh_suggestions(session=session, workspace_id=ws.id, auto_merge_at=0.7)
    precision, recall = precision_recall(merged_pairs(session, ws.id), planted_pairs(world, ids))
    print(f"threshold 0.7: precision {precision:.3f} recall {recall:.3f}")
    assert recall > 0.4


@pytest.fixture
def five_people(session: Session) -> tuple[object, list[object]]:
    ws = create_workspace(session)
    fans = [
        create_follower(session, ws, platform=p, username=f"fan{i}")
        for i, p in enumerate(["tiktok", "youtube", "bluesky", "mastodon", "instagram"])
    ]
    return ws, fans


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(steps=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), min_size=1, max_size=8))
def test_merge_then_unmerge_round_trips_exactly(
    session: Session, five_people: tuple[object, list[object]], steps: list[tuple[int, int]]
) -> None:
    ws, fans = five_people
    nested = session.begin_nested()
    try:
        merges, before = [], []
        for a, b in steps:
            target = service.person_of(session=session, workspace_id=ws.id, follower_id=fans[a].id)
            source = service.person_of(session=session, workspace_id=ws.id, follower_id=fans[b].id)
            if target == source:
                continue
            before.append(snapshot(session, ws.id))
            merges.append(
                service.merge(
                    session=session,
                    workspace_id=ws.id,
                    target_person_id=target,
                    source_person_id=source,
                    merged_by="test",
                )
            )
        for record, expected in zip(reversed(merges), reversed(before), strict=True):
            service.unmerge(
                session=session, workspace_id=ws.id, merge_id=record.id, unmerged_by="test"
            )
            session.expire_all()
            assert snapshot(session, ws.id) == expected
    finally:
        nested.rollback()


def test_unmerge_refuses_out_of_order_and_twice(session: Session, five_people) -> None:
    ws, fans = five_people
    first = service.merge(
        session=session,
        workspace_id=ws.id,
        target_person_id=fans[0].id,
        source_person_id=fans[1].id,
        merged_by="t",
    )
    second = service.merge(
        session=session,
        workspace_id=ws.id,
        target_person_id=fans[0].id,
        source_person_id=fans[2].id,
        merged_by="t",
    )
    with pytest.raises(Conflict):
        service.unmerge(session=session, workspace_id=ws.id, merge_id=first.id, unmerged_by="t")
    service.unmerge(session=session, workspace_id=ws.id, merge_id=second.id, unmerged_by="t")
    with pytest.raises(Conflict):
        service.unmerge(session=session, workspace_id=ws.id, merge_id=second.id, unmerged_by="t")
    with pytest.raises(Conflict):  # a merged-away person cannot be merged again
        service.merge(
            session=session,
            workspace_id=ws.id,
            target_person_id=fans[3].id,
            source_person_id=fans[1].id,
            merged_by="t",
        )
    history = service.merge_history(session=session, workspace_id=ws.id, person_id=fans[0].id)
    assert [m.unmerged_at is None for m in history] == [True, False]


def test_a_merged_person_scores_the_sum_of_their_parts(session: Session, five_people) -> None:
    ws, fans = five_people
    plan = {0: ["comment", "comment", "like"], 1: ["share", "like"], 2: ["save", "follow"]}
    moment = datetime(2026, 11, 20, tzinfo=UTC)
    for index, kinds in plan.items():
        for n, kind in enumerate(kinds):  # distinct times: the same action twice is deduplicated
            interact(session, fans[index], kind, occurred_at=moment + timedelta(minutes=n))
    parts = [service.score(session=session, workspace_id=ws.id, person_id=fans[i].id) for i in plan]
    for source in (1, 2):
        service.merge(
            session=session,
            workspace_id=ws.id,
            target_person_id=fans[0].id,
            source_person_id=fans[source].id,
            merged_by="t",
        )
    whole = service.score(session=session, workspace_id=ws.id, person_id=fans[2].id)
    assert whole.person_id == fans[0].id  # a merged-away person resolves to the survivor
    assert whole.identity_count == 3
    assert whole.engagement_score == pytest.approx(sum(p.engagement_score for p in parts))
    weights = get_config(session=session, workspace_id=ws.id).weights
    counted = Counter(k for kinds in plan.values() for k in kinds)
    expected = sum(Decimal(str(weights.get(k, 0))) * n for k, n in counted.items())
    assert Decimal(str(whole.engagement_score)) == expected
    assert whole.interaction_count == sum(counted.values())
    top = service.leaderboard(session=session, workspace_id=ws.id, limit=5)
    assert top[0].person_id == fans[0].id and len(top[0].platforms) == 3


def test_people_never_merge_across_workspaces(session: Session) -> None:
    a, b = create_workspace(session), create_workspace(session)
    fan_a = create_follower(session, a, platform="tiktok", username="same")
    fan_b = create_follower(session, b, platform="youtube", username="same")
    with pytest.raises(NotFound):
        service.merge(
            session=session,
            workspace_id=a.id,
            target_person_id=fan_a.id,
            source_person_id=fan_b.id,
            merged_by="t",
        )
    with pytest.raises(NotFound):
        service.detail(session=session, workspace_id=b.id, person_id=fan_a.id)
    # Evidence is only looked for inside a workspace: the shared handle suggests nothing.
    assert service.refresh_suggestions(session=session, workspace_id=a.id).candidates == 0


def test_rejected_and_unmerged_suggestions_stay_apart(session: Session) -> None:
    ws = create_workspace(session)
    x = create_follower(session, ws, platform="tiktok", username="amy_coffee1", display_name="Amy")
    y = create_follower(
        session,
        ws,
        platform="bluesky",
        username="amy_coffee1",
        display_name="Amy",
        bio="me on tiktok: https://tiktok.example/@amy_coffee1/",
        profile_url="https://bluesky.example/@amy_coffee1",
    )
    x.profile_url = "https://tiktok.example/@amy_coffee1"
    session.flush()
    run = service.refresh_suggestions(session=session, workspace_id=ws.id)
    assert run.auto_merged == 1
    person = service.person_of(session=session, workspace_id=ws.id, follower_id=y.id)
    detail = service.detail(session=session, workspace_id=ws.id, person_id=person)
    assert {i.follower_id for i in detail.identities} == {x.id, y.id}
    (merge,) = detail.merges
    assert merge.method == "auto" and merge.evidence and merge.evidence[0]["kind"] == "link"
    service.unmerge(session=session, workspace_id=ws.id, merge_id=merge.id, unmerged_by="me")
    again = service.refresh_suggestions(session=session, workspace_id=ws.id)
    assert again.auto_merged == 0
    (s,) = service.suggestions(session=session, workspace_id=ws.id, status="rejected")
    assert s.kind == "link"
    assert [e["kind"] for e in s.evidence] == ["link", "same_handle", "similar_handle"]
