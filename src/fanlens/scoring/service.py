"""Scoring rules: configs and their versions, rescoring, explaining a score.

Scores themselves are computed in SQL (db/sql/scoring.sql), set-based; these functions
decide what to compute and when. They flush, never commit.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple, cast

from pydantic import ValidationError
from sqlalchemy.orm import Session

from fanlens.kit.errors import InvalidInput, NotFound
from fanlens.scoring import repository
from fanlens.scoring.models import ScoringConfig
from fanlens.scoring.schemas import (
    DEFAULT_WEIGHTS,
    TIERS_ASCENDING,
    ExplanationLine,
    RecencyRule,
    RescoreResult,
    ScoreExplanation,
    ScoringConfigChange,
    ScoringConfigOut,
    Tier,
    TierChangeOut,
    TierThresholds,
)


def config_out(values: Mapping[str, Any]) -> ScoringConfigOut:
    """A config version from its scoring_configs columns (a row read as a mapping)."""
    return ScoringConfigOut(
        workspace_id=values["workspace_id"],
        version=values["version"],
        weights={k: Decimal(str(v)) for k, v in sorted(values["weights"].items())},
        thresholds=TierThresholds(
            super_fan=values["super_fan_threshold"],
            active=values["active_threshold"],
            lurker=values["lurker_threshold"],
        ),
        recency=RecencyRule(mode=values["recency_mode"], days=values["recency_days"]),
        created_at=values["created_at"],
    )


def _out(config: ScoringConfig) -> ScoringConfigOut:
    return config_out({c.key: getattr(config, c.key) for c in ScoringConfig.__table__.c})


def _current_or_raise(session: Session, workspace_id: uuid.UUID) -> ScoringConfig:
    config = repository.current_config(session, workspace_id)
    if config is None:
        raise NotFound(f"workspace {workspace_id} has no scoring config")
    return config


def get_config(*, session: Session, workspace_id: uuid.UUID) -> ScoringConfigOut:
    return _out(_current_or_raise(session, workspace_id))


def list_configs(*, session: Session, workspace_id: uuid.UUID) -> list[ScoringConfigOut]:
    return [_out(c) for c in repository.list_configs(session, workspace_id)]


def _apply(current: ScoringConfigOut, change: ScoringConfigChange) -> ScoringConfigOut:
    base = dict(DEFAULT_WEIGHTS) if change.reset_weights else dict(current.weights)
    try:
        thresholds = TierThresholds(
            super_fan=change.super_fan
            if change.super_fan is not None
            else current.thresholds.super_fan,
            active=change.active if change.active is not None else current.thresholds.active,
            lurker=change.lurker if change.lurker is not None else current.thresholds.lurker,
        )
    except ValidationError as exc:
        raise InvalidInput(exc.errors()[0]["msg"]) from exc
    return current.model_copy(
        update={
            "version": current.version + 1,
            "weights": base | change.weights,
            "thresholds": thresholds,
            "recency": change.recency or current.recency,
        }
    )


def update_config(
    *,
    session: Session,
    workspace_id: uuid.UUID,
    change: ScoringConfigChange,
    rescore: bool = True,
) -> ScoringConfigOut:
    """Record the next config version and (by default) rescore the workspace under it.

    rescore=False leaves the rescore to the caller (the API defers the rescore_workspace job
    after its commit); scores then keep naming the old version until it runs.
    """
    new = _apply(_out(_current_or_raise(session, workspace_id)), change)
    stored = repository.add_config(
        session,
        {
            "workspace_id": workspace_id,
            "version": new.version,
            "weights": {k: float(v) if v % 1 else int(v) for k, v in new.weights.items()},
            "super_fan_threshold": new.thresholds.super_fan,
            "active_threshold": new.thresholds.active,
            "lurker_threshold": new.thresholds.lurker,
            "recency_mode": new.recency.mode,
            "recency_days": new.recency.days,
        },
    )
    if rescore:
        rescore_workspace(session=session, workspace_id=workspace_id, kind="config")
    return _out(stored)


def rescore_workspace(
    *,
    session: Session,
    workspace_id: uuid.UUID,
    rebuild_counts: bool = False,
    replay_history: bool = False,
    kind: str = "manual",
    scheduled_for: datetime | None = None,
) -> RescoreResult:
    """Rescore every follower of one workspace, set-based, in the caller's transaction.

    replay_history (`fanlens score --full`) also replays the whole tier history from the log:
    the rescore compares scores only, so a history left wrong with right scores is found by
    nothing else.

    With scheduled_for (the nightly tick), the run is claimed first: a second worker seeing the
    same tick waits for the first and then skips (ran=False).
    """
    started = time.perf_counter()
    config = _current_or_raise(session, workspace_id)
    run_id = repository.claim_run(
        session,
        workspace_id=workspace_id,
        kind=kind,
        scheduled_for=scheduled_for,
        config_version=config.version,
    )
    if run_id is None:
        return RescoreResult(workspace_id=workspace_id, kind=kind, ran=False)
    repository.rescore_workspace(session, workspace_id, rebuild_counts=rebuild_counts)
    if replay_history:
        repository.replay_tier_history(session, workspace_id)
    followers = repository.count_followers(session, workspace_id)
    repository.finish_run(session, run_id, followers=followers)
    session.expire_all()  # scores changed under the ORM's feet
    return RescoreResult(
        workspace_id=workspace_id,
        kind=kind,
        ran=True,
        followers=followers,
        config_version=config.version,
        seconds=time.perf_counter() - started,
    )


def rescore_in_own_transaction(factory: Callable[[], Session], workspace_id: uuid.UUID) -> None:
    """What the API runs after committing a config change: one transaction of its own."""
    with factory() as session, session.begin():
        rescore_workspace(session=session, workspace_id=workspace_id, kind="config")


def refresh_followers(*, session: Session, follower_ids: Sequence[uuid.UUID]) -> None:
    """Rescore just these followers (what the ingest triggers do after each batch)."""
    if follower_ids:
        repository.refresh_followers(session, follower_ids)


class Subject(NamedTuple):
    """The follower a score explanation is about."""

    id: uuid.UUID
    workspace_id: uuid.UUID
    username: str | None
    platform: str


def _next_tier(
    score: Decimal, tier: Tier, thresholds: TierThresholds
) -> tuple[Tier | None, Decimal | None]:
    position = TIERS_ASCENDING.index(tier)
    if position == len(TIERS_ASCENDING) - 1:
        return None, None
    following = TIERS_ASCENDING[position + 1]
    return following, thresholds.lowest_score(following) - score


def explain(
    *, session: Session, workspace_id: uuid.UUID, follower_id: uuid.UUID
) -> ScoreExplanation:
    """Why this follower has this score and tier under the workspace's current rules."""
    follower = repository.get_follower(session, workspace_id=workspace_id, follower_id=follower_id)
    if follower is None:
        raise NotFound(f"no follower {follower_id} in this workspace")
    stored = repository.get_score(session, follower_id)
    return explain_loaded(
        session=session,
        follower=Subject(follower.id, follower.workspace_id, follower.username, follower.platform),
        rules=_out(_current_or_raise(session, workspace_id)),
        stored_score=stored.engagement_score if stored else None,
        computed_at=stored.computed_at if stored else None,
    )


def explain_loaded(
    *,
    session: Session,
    follower: Subject,
    rules: ScoringConfigOut,
    stored_score: Decimal | None,
    computed_at: datetime | None,
) -> ScoreExplanation:
    """`explain` for a caller that has already read the follower, the rules in force and the
    stored score."""
    rows = repository.score_lines(
        session,
        workspace_id=follower.workspace_id,
        follower_id=follower.id,
        version=rules.version,
        recency_mode=rules.recency.mode,
    )
    lines = [
        ExplanationLine(
            interaction_type=r["interaction_type"],
            count=r["interaction_count"],
            effective_count=r["effective_count"],
            weight=r["weight"],
            points=r["points"],
        )
        for r in rows
    ]
    score = sum((line.points for line in lines), Decimal(0))
    tier = cast(
        Tier,
        rows[0]["tier"]
        if rows
        else repository.tier_for(session, workspace_id=follower.workspace_id, score=score),
    )
    next_tier, distance = _next_tier(score, tier, rules.thresholds)
    return ScoreExplanation(
        follower_id=follower.id,
        workspace_id=follower.workspace_id,
        username=follower.username,
        platform=follower.platform,
        config_version=rules.version,
        recency=rules.recency,
        lines=lines,
        score=score,
        tier=tier,
        thresholds=rules.thresholds,
        next_tier=next_tier,
        points_to_next_tier=distance,
        stored_score=stored_score,
        computed_at=computed_at,
    )


def tier_history(
    *, session: Session, workspace_id: uuid.UUID, follower_id: uuid.UUID
) -> list[TierChangeOut]:
    changes = repository.tier_changes(session, workspace_id=workspace_id, follower_id=follower_id)
    return [TierChangeOut.model_validate(c) for c in changes]
