from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from fanlens.alerts.models import EngagementAlert
from fanlens.kit.timeutil import utcnow
from fanlens.sentiment.models import SentimentAlert
from fanlens.workspaces.models import Workspace

# Exact-time interactions per platform and week (weeks start on Monday 00:00 UTC), from the
# per-platform daily rollup; observed-time ones (day NULL) have no week. Weeks without any are
# absent: the caller decides whether such a week is 0 or no data.
_WEEKLY = text(
    """
    SELECT platform, date_trunc('week', day)::date AS week,
           sum(interaction_count)::bigint AS interactions
    FROM interaction_platform_days
    WHERE workspace_id = :ws AND day >= :start AND day < :end
    GROUP BY 1, 2
    """
)


def weekly_counts(
    session: Session, *, workspace_id: uuid.UUID, first_week: date, last_week: date
) -> dict[tuple[str, date], int]:
    params = {"ws": workspace_id, "start": first_week, "end": last_week + timedelta(weeks=1)}
    return {(r.platform, r.week): r.interactions for r in session.execute(_WEEKLY, params)}


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
