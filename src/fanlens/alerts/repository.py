from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Row, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from fanlens.alerts.models import EngagementAlert
from fanlens.kit.timeutil import utcnow
from fanlens.sentiment.models import SentimentAlert
from fanlens.workspaces.models import Workspace

# Weeks start on Monday 00:00 UTC. A platform with no interaction in a week counts 0 for it.
_WEEKLY = text(
    """
    WITH weeks AS (
        SELECT i.platform, date_trunc('week', i.occurred_at AT TIME ZONE 'UTC')::date AS week,
               count(*) AS n
        FROM follower_interactions i
        WHERE i.workspace_id = :ws AND i.occurred_at >= :start AND i.occurred_at < :end
        GROUP BY 1, 2)
    SELECT platform,
           coalesce(sum(n) FILTER (WHERE week = :week), 0)::bigint AS current_value,
           (coalesce(sum(n) FILTER (WHERE week < :week), 0) / 4.0)::numeric AS trailing_mean
    FROM weeks GROUP BY platform ORDER BY platform
    """
)


def weekly_engagement(
    session: Session, *, workspace_id: uuid.UUID, week: date, trailing_weeks: int = 4
) -> Sequence[Row[Any]]:
    monday = datetime.combine(week, time(), tzinfo=UTC)
    return session.execute(
        _WEEKLY,
        {
            "ws": workspace_id,
            "week": week,
            "start": monday - timedelta(weeks=trailing_weeks),
            "end": monday + timedelta(weeks=1),
        },
    ).all()


def add_if_new(session: Session, values: dict[str, Any]) -> EngagementAlert | None:
    """Insert the alert unless this workspace, platform and week already has one."""
    alert_id = session.execute(
        insert(EngagementAlert)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["workspace_id", "platform", "week"])
        .returning(EngagementAlert.id)
    ).scalar_one_or_none()
    return session.get(EngagementAlert, alert_id) if alert_id else None


# Every alert kind (engagement drops, negative-comment spikes) has `id`, `workspace_id`,
# `created_at` and `notified_at`, so one outbox serves them all.
AlertModel = type[EngagementAlert] | type[SentimentAlert]


def pending_ids(session: Session, model: AlertModel) -> list[uuid.UUID]:
    return list(
        session.scalars(
            select(model.id).where(model.notified_at.is_(None)).order_by(model.created_at)
        )
    )


def claim_pending(
    session: Session, model: AlertModel, alert_id: uuid.UUID
) -> tuple[Any, str] | None:
    """Lock one un-notified alert (skipping one another worker holds) with its workspace name."""
    row = session.execute(
        select(model, Workspace.name)
        .join(Workspace, Workspace.id == model.workspace_id)
        .where(model.id == alert_id, model.notified_at.is_(None))
        .with_for_update(skip_locked=True, of=model)
    ).one_or_none()
    return (row[0], row[1]) if row else None


def mark_notified(session: Session, model: AlertModel, alert_id: uuid.UUID) -> None:
    session.execute(update(model).where(model.id == alert_id).values(notified_at=utcnow()))


def list_recent(
    session: Session, *, workspace_id: uuid.UUID, limit: int = 50
) -> list[EngagementAlert]:
    return list(
        session.scalars(
            select(EngagementAlert)
            .where(EngagementAlert.workspace_id == workspace_id)
            .order_by(EngagementAlert.week.desc(), EngagementAlert.platform)
            .limit(limit)
        )
    )
