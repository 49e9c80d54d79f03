"""Retention at a past `as_of`: activity after the end of as_of's day does not count, so the
matrix equals one computed independently here from the lines known on that day. Worlds are loaded
through the production ingest path (interchange records)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from fanlens.analytics import retention
from fanlens.analytics.schemas import Grain, RetentionMatrix, RetentionMode
from fanlens.interactions.ingest import ingest_records
from tests.fixtures.builders import create_workspace

BASE = datetime(2026, 6, 1, tzinfo=UTC)
PLATFORMS = ("tiktok", "instagram")
TYPES = ("like", "comment", "share")
SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@dataclass(frozen=True)
class Line:
    fan: int  # the fan's platform is PLATFORMS[fan % 2]
    kind: str
    at: datetime | None  # None: observed time (in no period)


def _record(n: int, line: Line) -> dict[str, Any]:
    record: dict[str, Any] = {
        "type": "interaction",
        "platform": PLATFORMS[line.fan % 2],
        "interaction_type": line.kind,
        "external_id": f"i{n}",
        "user": {"external_user_id": f"fan{line.fan}", "username": f"fan{line.fan}"},
    }
    if line.at is not None:
        record["occurred_at"] = line.at.isoformat()
    return record


def _load(session: Session, lines: list[Line]) -> Any:
    ws = create_workspace(session)
    summary = ingest_records(
        session,
        workspace_id=ws.id,
        records=[_record(n, line) for n, line in enumerate(lines)],
        source="test",
    )
    assert not summary.rejected and summary.stored == len(lines)
    return ws


@contextmanager
def rolled_back(session: Session) -> Iterator[None]:
    savepoint = session.begin_nested()
    try:
        yield
    finally:
        savepoint.rollback()


def expected(
    lines: list[Line],
    *,
    grain: Grain,
    mode: RetentionMode,
    periods: int,
    as_of: date,
    types: list[str] | None,
    platform: str | None,
) -> list[tuple[date, int, list[int]]]:
    """(cohort, size, cells) from the exact lines that had happened by the end of as_of's day
    (every as_of here lies in the past)."""
    first, current = retention.window(grain, periods, as_of)
    end = retention.midnight(as_of + timedelta(days=1))
    known = [x for x in lines if x.at is not None and x.at < end]
    if platform:
        known = [x for x in known if PLATFORMS[x.fan % 2] == platform]
    cohort_of: dict[int, date] = {}
    for x in sorted(known, key=lambda x: x.at or end):
        cohort_of.setdefault(x.fan, retention.period_start(x.at.date(), grain))  # type: ignore[union-attr]
    active: dict[int, set[date]] = defaultdict(set)
    for x in known:
        if types is None or x.kind in types:
            active[x.fan].add(retention.period_start(x.at.date(), grain))  # type: ignore[union-attr]
    out = []
    for cohort in (retention.shift(first, grain, n) for n in range(periods)):
        members = [f for f, c in cohort_of.items() if c == cohort]
        starts = [
            retention.shift(cohort, grain, n)
            for n in range(retention.offset(cohort, current, grain) + 1)
        ]
        cells = [
            sum(
                1
                for f in members
                if (start in active[f] if mode == "on" else any(start <= p for p in active[f]))
            )
            for start in starts
        ]
        out.append((cohort, len(members), cells))
    return out


def _check_people(
    session: Session,
    workspace_id: Any,
    m: RetentionMatrix,
    *,
    as_of: date,
    types: list[str] | None,
    platform: str | None,
) -> None:
    """Each cell's people, asked for with the same as_of, are as many as the cell counts."""
    for c in m.cohorts:
        for cell in c.cells:
            people = retention.people(
                session=session,
                workspace_id=workspace_id,
                cohort=c.cohort,
                period=cell.period,
                grain=m.grain,
                mode=m.mode,
                types=types,
                platform=platform,
                as_of=as_of,
            )
            assert len(people) == cell.followers, (c.cohort, cell.period)


def answer(m: RetentionMatrix) -> list[tuple[date, int, list[int]]]:
    return [(c.cohort, c.size, [cell.followers for cell in c.cells]) for c in m.cohorts]


lines_strategy = st.lists(
    st.builds(
        Line,
        fan=st.integers(0, 5),
        kind=st.sampled_from(TYPES),
        at=st.one_of(
            st.none(),
            st.integers(0, 120 * 24).map(lambda h: BASE + timedelta(hours=h)),
        ),
    ),
    min_size=6,
    max_size=40,
)


@SETTINGS
@given(
    lines=lines_strategy,
    as_of_day=st.integers(0, 110),
    grain=st.sampled_from(["week", "month"]),
    periods=st.integers(1, 8),
    types=st.sampled_from([None, ["comment"], ["like", "share"]]),
    platform=st.sampled_from([None, "tiktok"]),
)
def test_any_as_of_matches_the_lines_known_then(
    session: Session,
    lines: list[Line],
    as_of_day: int,
    grain: Grain,
    periods: int,
    types: list[str] | None,
    platform: str | None,
) -> None:
    as_of = BASE.date() + timedelta(days=as_of_day)
    with rolled_back(session):
        ws = _load(session, lines)
        got: dict[str, list[tuple[date, int, list[int]]]] = {}
        for mode in ("on", "on_or_after"):
            m = retention.matrix(
                session=session,
                workspace_id=ws.id,
                grain=grain,
                mode=mode,  # type: ignore[arg-type]
                periods=periods,
                types=types,
                platform=platform,
                as_of=as_of,
            )
            got[mode] = answer(m)
            _check_people(session, ws.id, m, as_of=as_of, types=types, platform=platform)
            want = expected(
                lines,
                grain=grain,
                mode=mode,  # type: ignore[arg-type]
                periods=periods,
                as_of=as_of,
                types=types,
                platform=platform,
            )
            assert got[mode] == want
    for (_, size, on), (_, _, after) in zip(got["on"], got["on_or_after"], strict=True):
        if types is None and on:  # everyone is active in their own first period
            assert on[0] == after[0] == size
        assert all(a >= b for a, b in zip(after, on, strict=True))
        assert all(a >= b for a, b in pairwise(after))


def _day(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 12, tzinfo=UTC)


# The case in small: three followers first seen the week of Oct 19, one of them still
# active after as_of (Nov 1, in the week of Oct 26). Weekly and monthly, any type and comments.
CASE = [
    Line(0, "comment", _day(10, 19)),
    Line(2, "comment", _day(10, 20)),
    Line(2, "comment", _day(10, 27)),
    Line(4, "like", _day(10, 21)),
    Line(4, "comment", _day(10, 22)),
    Line(4, "comment", _day(11, 10)),  # after as_of
    Line(4, "comment", _day(12, 2)),  # after as_of's month too
]


def test_followers_active_after_as_of_stay_in_the_past_matrix(session: Session) -> None:
    ws = _load(session, CASE)

    def cells(
        grain: Grain, mode: RetentionMode, as_of: date = date(2026, 11, 1), **kw: Any
    ) -> list[tuple[int, list[int]]]:
        m = retention.matrix(
            session=session,
            workspace_id=ws.id,
            grain=grain,
            mode=mode,
            periods=2,
            as_of=as_of,
            **kw,
        )
        return [(c.size, [cell.followers for cell in c.cells]) for c in m.cohorts]

    assert cells("week", "on") == [(3, [3, 1]), (0, [0])]
    assert cells("week", "on_or_after") == [(3, [3, 1]), (0, [0])]
    assert cells("week", "on_or_after", types=["comment"]) == [(3, [3, 1]), (0, [0])]
    # Nov 10 had not happened on Nov 1: the November cell is empty then, filled by Nov 11.
    assert cells("month", "on") == [(3, [3, 0]), (0, [0])]
    assert cells("month", "on_or_after") == [(3, [3, 0]), (0, [0])]
    assert cells("month", "on_or_after", types=["comment"]) == [(3, [3, 0]), (0, [0])]
    november_11 = date(2026, 11, 11)
    assert cells("month", "on", november_11) == [(3, [3, 1]), (0, [0])]
    assert cells("month", "on_or_after", november_11) == [(3, [3, 1]), (0, [0])]
