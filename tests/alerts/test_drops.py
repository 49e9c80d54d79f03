"""Drop alerts: a planted drop fires once, ordinary noise does not, the webhook gets JSON."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from fanlens.alerts import runner, service
from fanlens.alerts.models import EngagementAlert
from fanlens.analytics import service as analytics
from fanlens.audience.models import Follower
from fanlens.config import settings
from fanlens.interactions.ingest import ingest_records
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
    # Both attempts carry the alert's id as their key: a receiver can drop a repeat.
    assert handler.keys == [str(alert.id), str(alert.id)]
    engine.dispose()


# --- weeks the data covers -------------------------------------------------------------------


def _imported(session: Session, ws: Workspace, platform: str, weekly: dict[date, int]) -> int:
    """Exact-time likes through the production ingest path: `n` in each listed week."""
    records = []
    for week, n in weekly.items():
        start = datetime(week.year, week.month, week.day, tzinfo=UTC)
        for i in range(n):
            at = start + timedelta(days=7) * (i + 1) / (n + 1)
            records.append(
                {
                    "type": "interaction",
                    "platform": platform,
                    "interaction_type": "like",
                    "user": {"external_user_id": f"fan{i}"},
                    "occurred_at": at.isoformat(),
                }
            )
    return ingest_records(session, workspace_id=ws.id, records=records, source="test").stored


def _synced(session: Session, ws: Workspace, platform: str, finished: datetime) -> None:
    account_id = session.execute(
        text(
            "INSERT INTO accounts (workspace_id, platform, handle, external_id) "
            "VALUES (:ws, :p, 'creator', 'creator') RETURNING id"
        ),
        {"ws": ws.id, "p": platform},
    ).scalar_one()
    session.execute(
        text(
            "INSERT INTO sync_runs (account_id, workspace_id, started_at, finished_at, status) "
            "VALUES (:a, :ws, :f - interval '1 minute', :f, 'succeeded')"
        ),
        {"a": account_id, "ws": ws.id, "f": finished},
    )


def _steady_until(last_week: date) -> dict[date, int]:
    """100 interactions a week for the six weeks up to `last_week`."""
    return {last_week - timedelta(weeks=k): 100 for k in range(5, -1, -1)}


def test_weeks_after_the_data_stops_are_no_data_not_a_drop(session: Session) -> None:
    ws = create_workspace(session)
    data_ends = WEEK - timedelta(weeks=2)  # an archive whose last two weeks hold nothing
    _imported(session, ws, "tiktok", _steady_until(data_ends))

    created = service.detect_drops(
        session=session, workspace_id=ws.id, week=WEEK, threshold=0.3, min_trailing_mean=20
    )
    assert created == []  # was a -100 % drop against the trailing mean (100+100+100+0)/4
    # The trend agrees: those weeks are no data, and the trend ends where the data does.
    weekly = analytics.weekly_trend(session=session, workspace_id=ws.id, weeks=8)
    assert [(p.week, p.interactions) for p in weekly] == [
        (data_ends - timedelta(weeks=k), 100 if k <= 5 else None) for k in range(7, -1, -1)
    ]


def test_a_synced_week_without_interactions_is_a_real_drop(session: Session) -> None:
    ws = create_workspace(session)
    data_ends = WEEK - timedelta(weeks=2)
    _imported(session, ws, "tiktok", _steady_until(data_ends))
    _synced(session, ws, "tiktok", finished=NOW)  # a sync after the checked week found nothing

    created = service.detect_drops(
        session=session, workspace_id=ws.id, week=WEEK, threshold=0.3, min_trailing_mean=20
    )
    assert [(a.platform, a.current_value, a.trailing_mean) for a in created] == [
        ("tiktok", 0, Decimal("75.00"))  # four covered trailing weeks: 100, 100, 100, 0
    ]
    weekly = analytics.weekly_trend(session=session, workspace_id=ws.id, weeks=4)
    last = NOW.date() - timedelta(days=NOW.weekday())
    assert [(p.week, p.interactions) for p in weekly] == [
        (last - timedelta(weeks=3), 100),
        (last - timedelta(weeks=2), 0),  # covered by the sync, empty: zero, not skipped
        (last - timedelta(weeks=1), 0),
        (last, 0),
    ]


def test_a_platform_is_judged_only_on_trailing_weeks_it_covers(session: Session) -> None:
    ws = create_workspace(session)
    # Data that starts two weeks before the checked week: 100, 100, then a fall to 40.
    _imported(
        session, ws, "youtube", {WEEK - timedelta(weeks=2): 100, WEEK - timedelta(weeks=1): 100}
    )
    _imported(session, ws, "youtube", {WEEK: 40})

    created = service.detect_drops(
        session=session, workspace_id=ws.id, week=WEEK, threshold=0.3, min_trailing_mean=20
    )
    # The mean of the two covered weeks is 100 (a 60 % drop), not 200 / 4 = 50 (20 %).
    assert [(a.platform, a.current_value, a.trailing_mean) for a in created] == [
        ("youtube", 40, Decimal("100.00"))
    ]
