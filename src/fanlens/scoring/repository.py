"""Scoring SQL. The heavy lifting is in the SQL functions of db/sql/scoring.sql."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Uuid, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from fanlens.audience.models import Follower
from fanlens.kit.sql import DriverStatement, param
from fanlens.scoring.models import (
    FollowerEngagementScore,
    FollowerTierChange,
    ScoringConfig,
    ScoringRun,
)


def current_config(session: Session, workspace_id: uuid.UUID) -> ScoringConfig | None:
    return session.scalars(
        select(ScoringConfig)
        .where(ScoringConfig.workspace_id == workspace_id)
        .order_by(ScoringConfig.version.desc())
        .limit(1)
    ).one_or_none()


def list_configs(session: Session, workspace_id: uuid.UUID) -> list[ScoringConfig]:
    return list(
        session.scalars(
            select(ScoringConfig)
            .where(ScoringConfig.workspace_id == workspace_id)
            .order_by(ScoringConfig.version)
        )
    )


def add_config(session: Session, values: dict[str, Any]) -> ScoringConfig:
    config = ScoringConfig(**values)
    session.add(config)
    session.flush()
    return config


def rescore_workspace(session: Session, workspace_id: uuid.UUID, *, rebuild_counts: bool) -> None:
    session.execute(
        text("SELECT fanlens_rescore_workspace(:ws, :rebuild)"),
        {"ws": workspace_id, "rebuild": rebuild_counts},
    )


def replay_tier_history(session: Session, workspace_id: uuid.UUID) -> int:
    """Every behaviour row of the workspace's tier history, rebuilt from the log."""
    stmt = text("SELECT fanlens_replay_tier_history(NULL, :ws)")
    return int(session.execute(stmt, {"ws": workspace_id}).scalar_one())


def refresh_followers(session: Session, follower_ids: Sequence[uuid.UUID]) -> None:
    session.execute(
        text("SELECT fanlens_refresh_scores(CAST(:ids AS uuid[]))"), {"ids": list(follower_ids)}
    )


def count_followers(session: Session, workspace_id: uuid.UUID) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(Follower).where(Follower.workspace_id == workspace_id)
        )
        or 0
    )


def claim_run(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    kind: str,
    scheduled_for: datetime | None,
    config_version: int,
) -> uuid.UUID | None:
    """Insert the run row; None when this (workspace, kind, tick) was already claimed. A claim
    by a transaction still running makes this wait, then yield to it."""
    stmt = (
        insert(ScoringRun)
        .values(
            workspace_id=workspace_id,
            kind=kind,
            scheduled_for=scheduled_for,
            config_version=config_version,
        )
        .on_conflict_do_nothing(index_elements=["workspace_id", "kind", "scheduled_for"])
        .returning(ScoringRun.id)
    )
    return session.execute(stmt).scalar_one_or_none()


def finish_run(session: Session, run_id: uuid.UUID, *, followers: int) -> None:
    session.execute(
        update(ScoringRun)
        .where(ScoringRun.id == run_id)
        .values(followers=followers, finished_at=func.clock_timestamp())
    )


# Each line also carries the tier its follower's total reaches (the SQL rule, fanlens_tier_for),
# so explaining a score takes one round trip.
# Driver statements: the follower detail of the API runs one on every request.
_SCORE_LINES = DriverStatement(
    text("""
SELECT interaction_type, interaction_count, effective_count, weight, points,
       fanlens_tier_for(sum(points) OVER (), super_fan_threshold, active_threshold,
                        lurker_threshold) AS tier
FROM fanlens_score_lines(ARRAY[CAST(:f AS uuid)], :ws)
ORDER BY points DESC, interaction_type
""")
)

# fanlens_score_lines without a recency rule (the default): count x weight of one config
# version. That function's recency subqueries and NULL filters make PostgreSQL plan it anew on
# every call (1.2 ms, four times what running it costs); this statement keeps one plan.
_COUNT_LINES = DriverStatement(
    text("""
SELECT c.interaction_type, c.interaction_count, c.interaction_count::numeric AS effective_count,
       w.weight, w.weight * c.interaction_count AS points,
       fanlens_tier_for(sum(w.weight * c.interaction_count) OVER (), cfg.super_fan_threshold,
                        cfg.active_threshold, cfg.lurker_threshold) AS tier
FROM follower_interaction_counts c
JOIN scoring_configs cfg ON cfg.workspace_id = c.workspace_id AND cfg.version = :version
CROSS JOIN LATERAL (
    SELECT coalesce((cfg.weights ->> c.interaction_type)::numeric, 0) AS weight) w
WHERE c.follower_id = CAST(:f AS uuid) AND c.workspace_id = CAST(:ws AS uuid)
ORDER BY points DESC, c.interaction_type
""")
)


def score_lines(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    follower_id: uuid.UUID,
    version: int,
    recency_mode: str,
) -> list[dict[str, Any]]:
    """Count x weight = points per interaction type under config `version`, the current one
    (`recency_mode` is that version's)."""
    if recency_mode == "none":
        return _COUNT_LINES.rows(session, f=follower_id, ws=workspace_id, version=version)
    return _SCORE_LINES.rows(session, f=follower_id, ws=workspace_id)


def tier_for(session: Session, *, workspace_id: uuid.UUID, score: Decimal) -> str:
    return str(
        session.scalar(
            text("SELECT determine_engagement_tier(:ws, CAST(:score AS numeric))"),
            {"ws": workspace_id, "score": score},
        )
    )


def get_follower(
    session: Session, *, workspace_id: uuid.UUID, follower_id: uuid.UUID
) -> Follower | None:
    return session.scalars(
        select(Follower).where(Follower.id == follower_id, Follower.workspace_id == workspace_id)
    ).one_or_none()


def get_score(session: Session, follower_id: uuid.UUID) -> FollowerEngagementScore | None:
    return session.get(FollowerEngagementScore, follower_id, populate_existing=True)


_TIER_CHANGES = DriverStatement(
    select(*FollowerTierChange.__table__.c)
    .where(
        FollowerTierChange.workspace_id == param("workspace_id", Uuid),
        FollowerTierChange.follower_id == param("follower_id", Uuid),
    )
    .order_by(FollowerTierChange.changed_at, FollowerTierChange.id)
)


def tier_changes(
    session: Session, *, workspace_id: uuid.UUID, follower_id: uuid.UUID
) -> list[dict[str, Any]]:
    """The follower's tier changes, oldest first (a driver statement: every follower detail
    of the API reads them)."""
    return _TIER_CHANGES.rows(session, workspace_id=workspace_id, follower_id=follower_id)
