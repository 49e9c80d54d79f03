"""Per-workspace weights, tiers, recency rules, tier history and explain, on real PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from fanlens.kit.errors import InvalidInput
from fanlens.kit.timeutil import utcnow
from fanlens.scoring import service
from fanlens.scoring.models import FollowerTierChange, ScoringConfig
from fanlens.scoring.schemas import DEFAULT_WEIGHTS, RecencyRule, ScoringConfigChange
from tests.fixtures.builders import create_follower, create_workspace
from tests.scoring.helpers import T0, insert_batch, scores, stored_score


def test_default_weights_in_python_and_sql_agree(session: Session) -> None:
    sql = session.scalar(text("SELECT fanlens_default_scoring_weights()"))
    assert {k: Decimal(str(v)) for k, v in sql.items()} == DEFAULT_WEIGHTS


def test_every_workspace_starts_with_version_1_of_the_defaults(session: Session) -> None:
    ws = create_workspace(session)
    config = service.get_config(session=session, workspace_id=ws.id)
    assert config.version == 1
    assert config.weights == DEFAULT_WEIGHTS
    assert (config.thresholds.super_fan, config.thresholds.active, config.thresholds.lurker) == (
        500,
        100,
        10,
    )
    assert config.recency.mode == "none"
    default_ws = session.scalar(text("SELECT id FROM workspaces WHERE name = 'default'"))
    assert session.scalar(select(func.count()).where(ScoringConfig.workspace_id == default_ws)) == 1


def test_workspace_overloads_follow_the_workspace_config(session: Session) -> None:
    ws = create_workspace(session)
    score = text("SELECT calculate_engagement_score(:ws, 1, 1, 1, 0, 0, 0)")
    assert session.scalar(score, {"ws": ws.id}) == 16
    tier = text("SELECT determine_engagement_tier(:ws, :s)")
    assert [session.scalar(tier, {"ws": ws.id, "s": s}) for s in (9, 10, 99, 100, 499, 500)] == [
        "inactive",
        "lurker",
        "lurker",
        "active",
        "active",
        "super_fan",
    ]
    service.update_config(
        session=session,
        workspace_id=ws.id,
        change=ScoringConfigChange(weights={"comment": Decimal(6)}, super_fan=Decimal(400)),
    )
    assert session.scalar(score, {"ws": ws.id}) == 17
    assert session.scalar(tier, {"ws": ws.id, "s": 400}) == "super_fan"
    counts = text("""SELECT calculate_engagement_score(:ws, '{"quote": 2, "duet": 5}'::jsonb)""")
    assert session.scalar(counts, {"ws": ws.id}) == 24  # quote 12 each; duet unknown: 0


@pytest.mark.parametrize(
    ("likes", "tier"),
    [
        (4, "inactive"),
        (5, "lurker"),
        (49, "lurker"),
        (50, "active"),
        (399, "active"),
        (400, "super_fan"),
    ],
)
def test_tier_boundaries_under_custom_thresholds(session: Session, likes: int, tier: str) -> None:
    ws = create_workspace(session)
    service.update_config(
        session=session,
        workspace_id=ws.id,
        change=ScoringConfigChange(super_fan=Decimal(400), active=Decimal(50), lurker=Decimal(5)),
    )
    fan = create_follower(session, ws)
    insert_batch(session, [(fan, "like", T0 + timedelta(seconds=i)) for i in range(likes)])
    assert stored_score(session, fan) == (Decimal(likes), tier)


def test_thresholds_must_stay_ordered(session: Session) -> None:
    ws = create_workspace(session)
    with pytest.raises(InvalidInput):
        service.update_config(
            session=session, workspace_id=ws.id, change=ScoringConfigChange(active=Decimal(600))
        )


def test_unknown_types_weigh_nothing_until_configured(session: Session) -> None:
    ws = create_workspace(session)
    fan = create_follower(session, ws)
    insert_batch(session, [(fan, "duet", T0 + timedelta(minutes=i)) for i in range(3)])
    assert stored_score(session, fan) == (Decimal(0), "inactive")
    service.update_config(
        session=session,
        workspace_id=ws.id,
        change=ScoringConfigChange(weights={"duet": Decimal(4)}),
    )
    assert stored_score(session, fan) == (Decimal(12), "lurker")
    version = session.scalar(
        text("SELECT config_version FROM follower_engagement_scores WHERE follower_id = :f"),
        {"f": fan.id},
    )
    assert version == 2


def test_tier_history_records_first_appearance_and_moves_at_their_interactions(
    session: Session,
) -> None:
    ws = create_workspace(session)
    fan = create_follower(session, ws)
    insert_batch(session, [(fan, "like", T0)])  # 1 point: inactive, first appearance
    insert_batch(session, [(fan, "share", T0 + timedelta(hours=1))])  # 11: lurker
    insert_batch(session, [(fan, "like", T0 + timedelta(hours=2))])  # 12: still lurker
    # 27, 42, ... 102: active at the sixth click, inside the batch
    insert_batch(session, [(fan, "link_click", T0 + timedelta(hours=3 + i)) for i in range(6)])
    history = service.tier_history(session=session, workspace_id=ws.id, follower_id=fan.id)
    assert [(h.from_tier, h.to_tier, h.score, h.changed_at) for h in history] == [
        (None, "inactive", Decimal(1), T0),
        ("inactive", "lurker", Decimal(11), T0 + timedelta(hours=1)),
        ("lurker", "active", Decimal(102), T0 + timedelta(hours=8)),
    ]
    assert {(h.config_version, h.kind, h.time_precision) for h in history} == {
        (1, "behaviour", "exact")
    }
    # The history is a replay of the log: with no interactions left there is none.
    session.execute(text("DELETE FROM follower_interactions WHERE follower_id = :f"), {"f": fan.id})
    assert service.tier_history(session=session, workspace_id=ws.id, follower_id=fan.id) == []
    assert stored_score(session, fan) is None


def test_recency_window_counts_only_recent_interactions(session: Session) -> None:
    ws = create_workspace(session)
    fan = create_follower(session, ws)
    now = utcnow()
    insert_batch(
        session,
        [
            (fan, "share", now - timedelta(days=10)),
            (fan, "share", now - timedelta(days=100)),
            (fan, "comment", now - timedelta(days=40)),
        ],
    )
    assert stored_score(session, fan) == (Decimal(25), "lurker")  # the origin: all time
    service.update_config(
        session=session,
        workspace_id=ws.id,
        change=ScoringConfigChange(recency=RecencyRule(mode="window", days=Decimal(30))),
    )
    assert stored_score(session, fan) == (Decimal(10), "lurker")
    # Counts stay all-time; only the score follows the rule.
    assert (
        session.scalar(
            text("SELECT share_count FROM follower_engagement_scores WHERE follower_id = :f"),
            {"f": fan.id},
        )
        == 2
    )
    insert_batch(session, [(fan, "comment", now - timedelta(days=1))])  # incremental path too
    assert stored_score(session, fan) == (Decimal(15), "lurker")


def test_half_life_halves_the_weight_per_half_life(session: Session) -> None:
    ws = create_workspace(session)
    service.update_config(
        session=session,
        workspace_id=ws.id,
        change=ScoringConfigChange(recency=RecencyRule(mode="half_life", days=Decimal(30))),
    )
    now = session.scalar(text("SELECT now()"))
    fan = create_follower(session, ws)
    insert_batch(
        session,
        [
            (fan, "link_click", now - timedelta(days=30)),
            (fan, "link_click", now - timedelta(days=60)),
            (fan, "link_click", now),
        ],
    )
    score, _ = stored_score(session, fan)  # type: ignore[misc]
    assert score == Decimal("26.25")  # 15 x (0.5 + 0.25 + 1)


def test_explain_shows_lines_thresholds_and_distance(session: Session) -> None:
    ws = create_workspace(session)
    fan = create_follower(session, ws, username="creator_amy")
    insert_batch(
        session, [(fan, "comment", T0), (fan, "like", T0), (fan, "share", T0), (fan, "duet", T0)]
    )
    why = service.explain(session=session, workspace_id=ws.id, follower_id=fan.id)
    assert why.score == 16 and why.stored_score == 16 and why.tier == "lurker"
    assert [
        (line.interaction_type, line.count, line.weight, line.points) for line in why.lines
    ] == [("share", 1, 10, 10), ("comment", 1, 5, 5), ("like", 1, 1, 1), ("duet", 1, 0, 0)]
    assert (why.next_tier, why.points_to_next_tier) == ("active", Decimal(84))
    assert why.config_version == 1 and why.recency.mode == "none"


def test_explain_follows_the_current_version_and_its_recency_rule(session: Session) -> None:
    # Without a recency rule the lines are counted by one statement, with one by
    # fanlens_score_lines: each must agree with the score the engine stored.
    ws = create_workspace(session)
    fan = create_follower(session, ws)
    now = utcnow()
    insert_batch(
        session,
        [(fan, "share", now - timedelta(days=10)), (fan, "share", now - timedelta(days=100))]
        + [(fan, "comment", now - timedelta(days=40 + i)) for i in range(3)],
    )
    changes = [
        ScoringConfigChange(weights={"share": Decimal(7)}),
        ScoringConfigChange(recency=RecencyRule(mode="window", days=Decimal(30))),
        ScoringConfigChange(recency=RecencyRule(mode="none", days=None)),
    ]
    expected = [
        (Decimal(29), 2, Decimal(14)),
        (Decimal(7), 3, Decimal(7)),
        (Decimal(29), 4, Decimal(14)),
    ]
    for change, (score, version, share_points) in zip(changes, expected, strict=True):
        service.update_config(session=session, workspace_id=ws.id, change=change)
        why = service.explain(session=session, workspace_id=ws.id, follower_id=fan.id)
        assert (why.score, why.stored_score, why.config_version) == (score, score, version)
        assert {line.interaction_type: line.points for line in why.lines}["share"] == share_points


def test_config_change_is_a_new_version_and_rescores(session: Session) -> None:
    ws = create_workspace(session)
    fan = create_follower(session, ws)
    insert_batch(session, [(fan, "comment", T0 + timedelta(minutes=i)) for i in range(20)])
    assert stored_score(session, fan) == (Decimal(100), "active")
    service.update_config(
        session=session,
        workspace_id=ws.id,
        change=ScoringConfigChange(weights={"comment": Decimal(1)}),
    )
    assert stored_score(session, fan) == (Decimal(20), "lurker")
    versions = service.list_configs(session=session, workspace_id=ws.id)
    assert [(v.version, v.weights["comment"]) for v in versions] == [(1, 5), (2, 1)]
    last = session.scalars(
        select(FollowerTierChange)
        .where(FollowerTierChange.follower_id == fan.id)
        .order_by(FollowerTierChange.changed_at.desc(), FollowerTierChange.config_version.desc())
    ).first()
    assert last is not None and (last.from_tier, last.to_tier, last.config_version) == (
        "active",
        "lurker",
        2,
    )
    assert last.kind == "config"


@pytest.mark.parametrize("followers", [40, 5_001])  # an ingest batch's size, a larger list
def test_refresh_scores_repairs_any_list_of_followers(session: Session, followers: int) -> None:
    """fanlens_refresh_scores, for a short list and a long one: it rewrites drifted rows,
    deletes the row of a follower left without counts and replays that follower's tier history
    from the log (which still holds their interactions)."""
    ws = create_workspace(session)
    session.execute(
        text(
            "INSERT INTO followers (workspace_id, platform, external_user_id, username) "
            "SELECT :ws, 'tiktok', 'u' || n, 'fan_' || n FROM generate_series(1, :n) n"
        ),
        {"ws": ws.id, "n": followers},
    )
    session.execute(  # 1-30 comments and a share each: lurkers and active fans
        text(
            "INSERT INTO follower_interactions (workspace_id, follower_id, platform, "
            "    interaction_type, occurred_at, dedup_key) "
            "SELECT f.workspace_id, f.id, f.platform, x.t, :t0, gen_random_uuid() "
            "FROM followers f "
            "CROSS JOIN LATERAL (SELECT 'comment' FROM generate_series(1, "
            "    substr(f.external_user_id, 2)::int % 30 + 1) UNION ALL SELECT 'share') x(t) "
            "WHERE f.workspace_id = :ws"
        ),
        {"ws": ws.id, "t0": T0},
    )
    expected = scores(session, ws.id)
    ids = list(expected)
    assert len(ids) == followers
    gone = ids[0]
    # Drift every stored score, and take one follower's counts away behind the log's back.
    session.execute(
        text(
            "UPDATE follower_engagement_scores SET engagement_score = engagement_score + 1 "
            "WHERE workspace_id = :ws"
        ),
        {"ws": ws.id},
    )
    session.execute(text("DELETE FROM follower_interaction_counts WHERE follower_id = :f"),
                    {"f": gone})  # fmt: skip

    session.execute(text("SELECT fanlens_refresh_scores(CAST(:ids AS uuid[]))"), {"ids": ids})

    assert scores(session, ws.id) == {f: row for f, row in expected.items() if f != gone}
    last_move = session.execute(
        text("SELECT from_tier, to_tier FROM follower_tier_changes WHERE follower_id = :f "
             "ORDER BY changed_at DESC, score DESC LIMIT 1"),
        {"f": gone},
    ).one()  # fmt: skip
    assert last_move.to_tier == expected[gone][1]  # one time for all: the highest score
