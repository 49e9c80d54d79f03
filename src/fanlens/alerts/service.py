"""Engagement-drop rules: a week's interactions on a platform against the four weeks before.

Only exact-time interactions count (observed ones carry the time a sync saw them), and only
weeks the platform's data covers whole are judged or averaged: a week after the data stops is
no data, not a -100 % drop (fanlens.analytics.coverage)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from fanlens.alerts import repository
from fanlens.alerts.models import EngagementAlert
from fanlens.alerts.schemas import EngagementAlertOut
from fanlens.analytics import coverage
from fanlens.kit.http import HttpClient, HttpError
from fanlens.sentiment.models import SentimentAlert
from fanlens.sentiment.schemas import SentimentAlertOut

log = logging.getLogger(__name__)


def last_complete_week(now: datetime) -> date:
    """Monday of the week before the one `now` falls in (weeks start Monday, UTC)."""
    today = now.date()
    return today - timedelta(days=today.weekday() + 7)


def drop_share(current: int, trailing_mean: Decimal) -> Decimal:
    if trailing_mean <= 0:
        return Decimal(0)
    return (1 - Decimal(current) / trailing_mean).quantize(Decimal("0.0001"))


TRAILING_WEEKS = 4


@dataclass(frozen=True)
class WeekVerdict:
    platform: str
    current_value: int
    trailing_mean: Decimal


def judged_weeks(*, session: Session, workspace_id: uuid.UUID, week: date) -> list[WeekVerdict]:
    """Per platform whose data covers `week` whole: its interactions that week and the mean of
    the trailing weeks its data covers whole (a platform with none of those is left out)."""
    first = week - timedelta(weeks=TRAILING_WEEKS)
    counts = repository.weekly_counts(
        session, workspace_id=workspace_id, first_week=first, last_week=week
    )
    trailing = [first + timedelta(weeks=k) for k in range(TRAILING_WEEKS)]
    verdicts = []
    for platform, span in sorted(coverage.spans(session, workspace_id).items()):
        known = [counts.get((platform, w), 0) for w in trailing if span.covers_whole_week(w)]
        if not span.covers_whole_week(week) or not known:
            continue
        mean = Decimal(sum(known)) / len(known)
        verdicts.append(WeekVerdict(platform, counts.get((platform, week), 0), mean))
    return verdicts


def detect_drops(
    *,
    session: Session,
    workspace_id: uuid.UUID,
    week: date,
    threshold: float,
    min_trailing_mean: float,
) -> list[EngagementAlert]:
    """Write (and log) an alert for each platform whose week fell more than `threshold` below
    its trailing four-week mean. Returns the alerts new in this call (re-running is a no-op)."""
    created = []
    for row in judged_weeks(session=session, workspace_id=workspace_id, week=week):
        if row.trailing_mean < Decimal(str(min_trailing_mean)):
            continue  # too little traffic: a drop would be noise
        share = drop_share(row.current_value, row.trailing_mean)
        if share <= Decimal(str(threshold)):
            continue
        alert = repository.add_if_new(
            session,
            {
                "workspace_id": workspace_id,
                "platform": row.platform,
                "week": week,
                "current_value": row.current_value,
                "trailing_mean": row.trailing_mean.quantize(Decimal("0.01")),
                "drop_share": share,
            },
        )
        if alert is not None:
            log.warning(
                "engagement drop: workspace %s, %s, week of %s: %s interactions vs a 4-week "
                "mean of %.1f (-%d%%)",
                workspace_id,
                row.platform,
                week,
                row.current_value,
                row.trailing_mean,
                round(share * 100),
            )
            created.append(alert)
    return created


def webhook_payload(alert: EngagementAlert | SentimentAlert, workspace_name: str) -> dict[str, Any]:
    """The JSON a receiver gets: the event name, the workspace and the alert's fields."""
    if isinstance(alert, SentimentAlert):
        body = SentimentAlertOut.model_validate(alert).model_dump(mode="json")
        event = "fanlens.negative_comment_spike"
        body["page"] = f"/analytics/content/{alert.content_id}"
    else:
        body = EngagementAlertOut.model_validate(alert).model_dump(mode="json")
        event = "fanlens.engagement_drop"
    return {"event": event, "workspace": workspace_name, **body}


def notify(
    *,
    session: Session,
    model: repository.AlertModel,
    alert_id: uuid.UUID,
    client: HttpClient,
    url: str,
) -> bool:
    """POST one pending alert to the webhook and mark it notified; False when another worker
    holds it, it was already sent, or the receiver failed (it stays pending for the next run)."""
    claimed = repository.claim_pending(session, model, alert_id)
    if claimed is None:
        return False
    alert, workspace_name = claimed
    try:
        # One attempt: a failed alert stays pending and the next run sends it. A worker killed
        # after the receiver accepted but before the commit sends it again with the same key,
        # so the receiver can drop the repeat.
        client.write_once(
            url,
            json=webhook_payload(alert, workspace_name),
            headers={"Idempotency-Key": str(alert_id)},
        ).raise_for_status()
    except HttpError as exc:
        log.error("alert webhook failed for alert %s: %s", alert_id, exc)
        return False
    repository.mark_notified(session, model, alert_id)
    return True


def list_alerts(*, session: Session, workspace_id: uuid.UUID) -> list[EngagementAlertOut]:
    return [
        EngagementAlertOut.model_validate(a)
        for a in repository.list_recent(session, workspace_id=workspace_id)
    ]
