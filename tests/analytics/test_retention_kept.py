"""Retention "on or after" from the kept cells on real PostgreSQL: `retention_cells.last_active`
(followers of a cohort last active in a period) equals a recount from the log after inserts,
back-filled history, deletes, follower moves and removals, and the unbounded matrix read from the
kept cells equals the one counted from the log, weekly and monthly, for every platform and one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, text, update
from sqlalchemy.orm import Session

from fanlens.analytics import retention
from fanlens.analytics.schemas import RetentionMatrix
from fanlens.audience.models import Follower
from fanlens.interactions.models import FollowerInteraction
from fanlens.workspaces.models import Workspace
from tests.fixtures.builders import create_follower, create_workspace, interact
from tests.helpers import row_set

KEPT = """SELECT platform, grain, cohort, period, followers, last_active FROM retention_cells
          WHERE workspace_id = :ws"""

# The cells counted from the log: each follower's exact-time periods, their earliest the cohort,
# their latest the period they were last active in.
RECOUNT = """
WITH acts AS (
    SELECT DISTINCT i.follower_id, i.platform, g.grain,
           date_trunc(g.grain, i.occurred_at AT TIME ZONE 'UTC')::date AS period
    FROM follower_interactions i CROSS JOIN (VALUES ('week'), ('month')) g (grain)
    WHERE i.workspace_id = :ws AND i.time_precision = 'exact'),
marked AS (
    SELECT platform, grain, period, min(period) OVER w AS cohort, max(period) OVER w AS latest
    FROM acts WINDOW w AS (PARTITION BY follower_id, grain))
SELECT platform, grain, cohort, period, count(*)::int,
       (count(*) FILTER (WHERE period = latest))::int
FROM marked GROUP BY 1, 2, 3, 4
"""

NOW = datetime.now(UTC)
THIS_WEEK = datetime.combine(retention.period_start(NOW.date(), "week"), datetime.min.time(), UTC)


def weeks_ago(n: int, day: int = 2) -> datetime:
    """Noon of a day of the week n weeks before this one."""
    return THIS_WEEK - timedelta(weeks=n) + timedelta(days=day, hours=12)


def matrices(session: Session, ws: Workspace, **kw: Any) -> tuple[RetentionMatrix, ...]:
    """The unbounded matrix from the kept cells, and from the log (every type listed)."""
    types = list(session.scalars(select(FollowerInteraction.interaction_type).distinct()))
    common = {"session": session, "workspace_id": ws.id, "mode": "on_or_after", **kw}
    return retention.matrix(**common), retention.matrix(**common, types=types)


def grid(m: RetentionMatrix) -> list[tuple[Any, int, list[int]]]:
    return [(c.cohort, c.size, [cell.followers for cell in c.cells]) for c in m.cohorts]


def assert_kept_equals_log(session: Session, ws: Workspace) -> None:
    assert row_set(session, KEPT, ws.id) == row_set(session, RECOUNT, ws.id)
    for grain, periods in (("week", 30), ("month", 8)):
        for platform in (None, "tiktok", "instagram"):
            kept, log = matrices(session, ws, grain=grain, periods=periods, platform=platform)
            assert grid(kept) == grid(log), (grain, platform)


def test_last_active_follows_every_change_of_the_log(session: Session) -> None:
    ws = create_workspace(session)
    fans = {n: create_follower(session, ws, username=n) for n in ("amy", "bo", "cy", "di")}
    fans["ed"] = create_follower(session, ws, platform="instagram", username="ed")
    for who, weeks in {"amy": (20, 12, 3), "bo": (20, 19), "cy": (9,), "ed": (15, 14, 2)}.items():
        for n in weeks:
            interact(session, fans[who], "like", occurred_at=weeks_ago(n))
    assert_kept_equals_log(session, ws)
    assert session.scalar(text("SELECT sum(last_active) FROM retention_cells")) == 2 * 4

    # a later period moves the last-active count; one in the same period or an earlier one
    # (between known periods) does not; history before the cohort moves the cohort
    interact(session, fans["bo"], "comment", occurred_at=weeks_ago(1))
    interact(session, fans["amy"], "comment", occurred_at=weeks_ago(3, day=4))
    interact(session, fans["amy"], "comment", occurred_at=weeks_ago(7))
    interact(session, fans["cy"], "share", occurred_at=weeks_ago(25))
    interact(session, fans["di"], "like", occurred_at=NOW - timedelta(minutes=1))
    assert_kept_equals_log(session, ws)

    # deletes: a follower's latest interaction, then all of one follower's
    session.execute(
        delete(FollowerInteraction).where(
            FollowerInteraction.follower_id == fans["bo"].id,
            FollowerInteraction.occurred_at == weeks_ago(1),
        )
    )
    session.execute(
        delete(FollowerInteraction).where(FollowerInteraction.follower_id == fans["cy"].id)
    )
    assert_kept_equals_log(session, ws)

    # a corrected time, and one follower's interactions moved to another (a merge of the two)
    session.execute(
        update(FollowerInteraction)
        .where(FollowerInteraction.follower_id == fans["ed"].id)
        .values(occurred_at=FollowerInteraction.occurred_at - timedelta(days=10))
    )
    session.execute(
        update(FollowerInteraction)
        .where(FollowerInteraction.follower_id == fans["di"].id)
        .values(follower_id=fans["amy"].id)
    )
    assert_kept_equals_log(session, ws)

    session.execute(delete(Follower).where(Follower.id == fans["amy"].id))  # cascades to the log
    assert_kept_equals_log(session, ws)


def test_a_rebuild_of_the_workspace_keeps_the_same_cells(session: Session) -> None:
    ws = create_workspace(session)
    for n in range(6):
        fan = create_follower(session, ws, username=f"fan{n}")
        for weeks in range(n, 12, n + 2):
            interact(session, fan, "like", occurred_at=weeks_ago(weeks, day=n % 7))
    kept = row_set(session, KEPT, ws.id)
    assert kept == row_set(session, RECOUNT, ws.id)
    session.execute(text("SELECT fanlens_retention_rebuild_workspace(:ws)"), {"ws": ws.id})
    assert row_set(session, KEPT, ws.id) == kept


def test_activity_after_the_current_period_is_left_out(session: Session) -> None:
    """A time in the future (a wrong clock) is kept as the follower's latest period; the matrix
    still counts them as last active in the latest period up to the current one."""
    ws = create_workspace(session)
    fan, other = create_follower(session, ws, username="fan"), create_follower(session, ws)
    interact(session, fan, "like", occurred_at=weeks_ago(6))
    interact(session, fan, "like", occurred_at=weeks_ago(4))
    interact(session, other, "like", occurred_at=weeks_ago(5))
    interact(session, fan, "like", occurred_at=THIS_WEEK + timedelta(weeks=3))
    assert row_set(session, KEPT, ws.id) == row_set(session, RECOUNT, ws.id)
    kept, log = matrices(session, ws, periods=8)
    assert grid(kept) == grid(log)
    assert [c.followers for c in kept.cohorts[1].cells] == [1, 1, 1, 0, 0, 0, 0]
