"""Retention matrix rules: cohorts by first-seen week or month, returns "on" (bounded) or
"on or after" (unbounded) period N, the weighted mean row and the incomplete current period."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session

from fanlens.analytics import repository
from fanlens.analytics.repository import RetentionQuery
from fanlens.analytics.schemas import (
    Grain,
    RetentionCellOut,
    RetentionCohort,
    RetentionCsvRow,
    RetentionMatrix,
    RetentionMean,
    RetentionMode,
    RetentionPerson,
)
from fanlens.kit.errors import InvalidInput

MAX_PERIODS = 104


def period_start(day: date, grain: Grain) -> date:
    if grain == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def shift(start: date, grain: Grain, n: int) -> date:
    """The start of the period n periods after `start` (a period start)."""
    try:
        if grain == "week":
            return start + timedelta(weeks=n)
        months = start.year * 12 + start.month - 1 + n
        return date(months // 12, months % 12 + 1, 1)
    except (OverflowError, ValueError) as exc:  # dates near year 1 or 9999
        raise InvalidInput(f"{start} is outside the supported range of dates") from exc


def offset(cohort: date, period: date, grain: Grain) -> int:
    if grain == "week":
        return (period - cohort).days // 7
    return (period.year - cohort.year) * 12 + period.month - cohort.month


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def known_until(as_of: date | None) -> datetime | None:
    """The end of a past `as_of`'s day: an answer for that day counts only what had happened by
    then, so it is the answer fanlens gave on that day. None for today or later: everything."""
    if as_of is None or as_of >= datetime.now(UTC).date():
        return None
    return midnight(as_of + timedelta(days=1))


def _query(
    *,
    workspace_id: uuid.UUID,
    grain: Grain,
    first: date,
    last: date,
    platform: str | None,
    types: list[str] | None,
    content_id: uuid.UUID | None,
    as_of: date | None,
) -> RetentionQuery:
    if types and any("\x00" in t or not t.strip() for t in types):
        raise InvalidInput("interaction types must be non-empty names")
    end = midnight(shift(last, grain, 1))
    cut = known_until(as_of)
    return RetentionQuery(
        workspace_id=workspace_id,
        grain=grain,
        first=first,
        last=last,
        from_ts=midnight(first),
        to_ts=min(end, cut) if cut else end,
        cut=cut,
        platform=platform.lower() if platform else None,
        types=sorted({t.lower() for t in types}) if types else None,
        content_id=content_id,
    )


def window(grain: Grain, periods: int, as_of: date | None) -> tuple[date, date]:
    if not 1 <= periods <= MAX_PERIODS:
        raise InvalidInput(f"periods must be between 1 and {MAX_PERIODS}")
    current = period_start(as_of or datetime.now(UTC).date(), grain)
    return shift(current, grain, -(periods - 1)), current


def matrix(
    *,
    session: Session,
    workspace_id: uuid.UUID,
    grain: Grain = "week",
    mode: RetentionMode = "on",
    periods: int = 12,
    platform: str | None = None,
    types: list[str] | None = None,
    first_touch_content_id: uuid.UUID | None = None,
    as_of: date | None = None,
) -> RetentionMatrix:
    first, current = window(grain, periods, as_of)
    q = _query(
        workspace_id=workspace_id,
        grain=grain,
        first=first,
        last=current,
        platform=platform,
        types=types,
        content_id=first_touch_content_id,
        as_of=as_of,
    )
    rows = repository.retention_rows(session, q, unbounded=mode == "on_or_after")
    sizes = _sizes(session, q, rows)
    by_cohort: dict[date, list[Row[Any]]] = defaultdict(list)
    for r in rows:
        by_cohort[r.cohort].append(r)
    cohorts = [
        _cohort(c, sizes.get(c, 0), by_cohort[c], grain=grain, mode=mode, current=current)
        for c in (shift(first, grain, n) for n in range(periods))
    ]
    return RetentionMatrix(
        grain=grain,
        mode=mode,
        platform=q.platform,
        types=q.types,
        first_touch_content_id=first_touch_content_id,
        current_period=current,
        cohorts=cohorts,
        mean=_mean(cohorts, periods),
        time_unknown_followers=repository.time_unknown_followers(session, workspace_id, q.platform),
    )


def _sizes(session: Session, q: RetentionQuery, rows: Sequence[Row[Any]]) -> dict[date, int]:
    if q.types is not None:  # a cohort member need not have a chosen type: count them
        return repository.cohort_sizes(session, q)
    sizes: dict[date, int] = defaultdict(int)
    from_cells = bool(rows) and "size" in rows[0]._fields
    for r in rows:  # everyone is active in their own period, and last active exactly once
        sizes[r.cohort] += (r.size or 0) if from_cells else r.last_active
    return sizes


def _cohort(
    cohort: date,
    size: int,
    rows: Sequence[Row[Any]],
    *,
    grain: Grain,
    mode: RetentionMode,
    current: date,
) -> RetentionCohort:
    reached = offset(cohort, current, grain) + 1  # periods begun so far, the current included
    active = [0] * reached
    last = [0] * reached
    for r in rows:
        if 0 <= (n := offset(cohort, r.period, grain)) < reached:
            active[n] += r.active
            if mode == "on_or_after":
                last[n] += r.last_active
    counts = active if mode == "on" else _suffix_sums(last)
    return RetentionCohort(
        cohort=cohort,
        size=size,
        cells=[
            RetentionCellOut(
                period=n,
                period_start=shift(cohort, grain, n),
                followers=count,
                rate=round(count / size, 4) if size else None,
                incomplete=n == reached - 1,
            )
            for n, count in enumerate(counts)
        ],
    )


def _suffix_sums(values: list[int]) -> list[int]:
    out, running = [0] * len(values), 0
    for n in range(len(values) - 1, -1, -1):
        running += values[n]
        out[n] = running
    return out


def _mean(cohorts: list[RetentionCohort], periods: int) -> list[RetentionMean]:
    """Per period N: returning followers over the followers of every cohort that has begun
    period N (weighted by cohort size); `incomplete` when only the current period holds N."""
    means = []
    for n in range(periods):
        cells = [(c.size, c.cells[n]) for c in cohorts if len(c.cells) > n]
        base = sum(size for size, _ in cells)
        returned = sum(cell.followers for _, cell in cells)
        means.append(
            RetentionMean(
                period=n,
                cohorts=len(cells),
                cohort_size=base,
                followers=returned,
                rate=round(returned / base, 4) if base else None,
                incomplete=all(cell.incomplete for _, cell in cells),
            )
        )
    return means


def csv_rows(m: RetentionMatrix) -> Iterator[RetentionCsvRow]:
    for c in m.cohorts:
        for cell in c.cells:
            yield RetentionCsvRow(cohort=str(c.cohort), cohort_size=c.size, **cell.model_dump())
    yield from m.means_as_cells()


def people(
    *,
    session: Session,
    workspace_id: uuid.UUID,
    cohort: date,
    period: int,
    grain: Grain = "week",
    mode: RetentionMode = "on",
    platform: str | None = None,
    types: list[str] | None = None,
    first_touch_content_id: uuid.UUID | None = None,
    as_of: date | None = None,
    limit: int = 100,
) -> list[RetentionPerson]:
    """The followers counted in one cell: the cohort's followers active in period N (or in
    N or later), counting only what had happened by the end of a past `as_of`'s day."""
    start = period_start(cohort, grain)
    q = _query(
        workspace_id=workspace_id,
        grain=grain,
        first=start,
        last=start,
        platform=platform,
        types=types,
        content_id=first_touch_content_id,
        as_of=as_of,
    )
    target = shift(start, grain, period)
    rows = repository.retention_people(
        session,
        q,
        period_from=midnight(target),
        period_to=midnight(shift(target, grain, 1)) if mode == "on" else None,
        limit=limit,
    )
    return [RetentionPerson.model_validate(r._mapping) for r in rows]
