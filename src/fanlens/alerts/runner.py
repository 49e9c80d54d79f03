"""The weekly drop check: detect per workspace (one transaction each), then send what is
pending, one alert per transaction so a sent alert is marked as sent right away. The sending
half also carries the sentiment domain's negative-spike alerts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine

from fanlens.alerts import repository, service
from fanlens.alerts.models import EngagementAlert
from fanlens.alerts.schemas import DropCheckSummary
from fanlens.config import settings
from fanlens.db.engine import unit_of_work
from fanlens.kit.http import HttpClient, HttpOptions
from fanlens.kit.timeutil import utcnow
from fanlens.sentiment.models import SentimentAlert
from fanlens.workspaces import repository as workspace_repository
from fanlens.workspaces import service as workspace_service


def check_all(
    *,
    now: datetime | None = None,
    workspace_name: str | None = None,
    engine: Engine | None = None,
) -> DropCheckSummary:
    summary = DropCheckSummary(week=service.last_complete_week(now or utcnow()))
    with unit_of_work(engine) as session:
        if workspace_name:
            ids = [workspace_service.get_by_name_or_raise(session=session, name=workspace_name).id]
        else:
            ids = [w.id for w in workspace_repository.list_all(session)]
    for workspace_id in ids:
        with unit_of_work(engine) as session:
            created = service.detect_drops(
                session=session,
                workspace_id=workspace_id,
                week=summary.week,
                threshold=settings.alert_drop_share,
                min_trailing_mean=settings.alert_min_trailing_mean,
            )
        summary.workspaces += 1
        summary.alerts += len(created)
    summary.notified = send_pending(engine=engine)
    return summary


def send_pending(*, engine: Engine | None = None) -> int:
    """Send every alert not yet accepted by the webhook, of every kind, oldest first."""
    url = settings.alert_webhook_url
    if not url:
        return 0
    sent = 0
    with HttpClient(options=HttpOptions(timeout=10, follow_redirects=False)) as client:
        for model in (EngagementAlert, SentimentAlert):
            with unit_of_work(engine) as session:
                pending = repository.pending_ids(session, model)
            for alert_id in pending:
                with unit_of_work(engine) as session:
                    sent += service.notify(
                        session=session, model=model, alert_id=alert_id, client=client, url=url
                    )
    return sent
