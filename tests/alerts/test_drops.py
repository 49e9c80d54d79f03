"""Drop alerts: a planted drop fires once, ordinary noise does not, the webhook gets JSON."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from fanlens.alerts import runner, service
from fanlens.alerts.models import EngagementAlert
from fanlens.audience.models import Follower
from fanlens.config import settings
from fanlens.workspaces.models import Workspace
from tests.fixtures.builders import create_follower, create_workspace
from tests.fixtures.webhook import Receiver
from tests.scoring.helpers import insert_batch

WEEK = date(2026, 11, 16)  # a Monday: the week checked
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # a Wednesday of the week after


def _plant(session: Session, fan: Follower, week: date, count: int) -> None:
    start = datetime(week.year, week.month, week.day, tzinfo=UTC)
    step = timedelta(days=7) / (count + 1)
    insert_batch(session, [(fan, "like", start + step * (i + 1)) for i in range(count)])


def _weeks(session: Session, fan: Follower, counts: list[int]) -> None:
    """Counts for the four trailing weeks then the checked week."""
    for back, count in zip(range(4, -1, -1), counts, strict=True):
        _plant(session, fan, WEEK - timedelta(weeks=back), count)


def _world(session: Session) -> tuple[Workspace, Follower, Follower, Follower]:
    ws = create_workspace(session)
    tiktok = create_follower(session, ws, platform="tiktok")
    insta = create_follower(session, ws, platform="instagram")
    quiet = create_follower(session, ws, platform="mastodon")
    _weeks(session, tiktok, [97, 104, 110, 95, 40])  # planted drop
    _weeks(session, insta, [100, 112, 88, 100, 78])  # noise: -22 %
    _weeks(session, quiet, [5, 3, 6, 4, 0])  # too little traffic to judge
    return ws, tiktok, insta, quiet


def test_last_complete_week_is_the_monday_before_this_week() -> None:
    assert service.last_complete_week(NOW) == WEEK
    assert service.last_complete_week(datetime(2026, 11, 23, 0, 5, tzinfo=UTC)) == WEEK


def test_alert_fires_on_a_planted_drop_and_not_on_noise(session: Session) -> None:
    ws, *_ = _world(session)
    created = service.detect_drops(
        session=session, workspace_id=ws.id, week=WEEK, threshold=0.3, min_trailing_mean=20
    )
    assert [(a.platform, a.week, a.current_value) for a in created] == [("tiktok", WEEK, 40)]
    assert created[0].drop_share > 0.55
    again = service.detect_drops(
        session=session, workspace_id=ws.id, week=WEEK, threshold=0.3, min_trailing_mean=20
    )
    assert again == []  # one alert per workspace, platform and week


def test_threshold_is_configurable(session: Session) -> None:
    ws, *_ = _world(session)
    created = service.detect_drops(
        session=session, workspace_id=ws.id, week=WEEK, threshold=0.15, min_trailing_mean=20
    )
    assert {a.platform for a in created} == {"tiktok", "instagram"}  # insta fell ~22 %


def test_weekly_check_posts_each_alert_once_to_the_webhook(
    fresh_database_url: str,
    receiver: tuple[str, type[Receiver]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, handler = receiver
    engine = create_engine(fresh_database_url, poolclass=NullPool)
    with Session(engine) as session:
        ws, *_ = _world(session)
        session.commit()
        ws_name = ws.name
    monkeypatch.setattr(settings, "alert_webhook_url", url)

    handler.status = 500  # a failing receiver: the alert stays pending
    first = runner.check_all(now=NOW, engine=engine)
    assert (first.alerts, first.notified) == (1, 0)
    assert len(handler.received) == 1

    handler.status = 200
    second = runner.check_all(now=NOW, engine=engine)
    assert (second.alerts, second.notified) == (0, 1)
    third = runner.check_all(now=NOW, engine=engine)
    assert (third.alerts, third.notified) == (0, 0)

    assert len(handler.received) == 2
    payload = handler.received[-1]
    assert payload["event"] == "fanlens.engagement_drop"
    assert (payload["workspace"], payload["platform"], payload["week"]) == (
        ws_name,
        "tiktok",
        WEEK.isoformat(),
    )
    assert payload["current_value"] == 40
    with Session(engine) as session:
        alert = session.scalars(select(EngagementAlert)).one()
        assert alert.notified_at is not None
    engine.dispose()
