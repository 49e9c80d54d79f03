"""Which weeks a platform's data covers, so a week fanlens knows nothing about reads "no data",
not zero: the weekly trend and the drop alerts share this rule.

A platform's data covers the UTC days from its first exact-time interaction (or, with none, its
first successful sync) to the later of its last exact-time interaction and its last successful
sync: a sync that ended on a day vouches for every day up to it, an import only for the span its
interactions fill. The trend shows a week any of whose days is covered; a drop alert judges only
weeks covered whole.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from fanlens.analytics import repository


@dataclass(frozen=True)
class Span:
    """The days one platform's data covers, both ends included."""

    first_day: date
    last_day: date

    def covers_week(self, monday: date) -> bool:
        """Any day of the week: the trend shows what the week holds."""
        return monday <= self.last_day and monday + timedelta(days=6) >= self.first_day

    def covers_whole_week(self, monday: date) -> bool:
        """Every day of the week: only such a week can be judged a drop (a week the data
        stops in would read as one)."""
        return self.first_day <= monday and monday + timedelta(days=6) <= self.last_day


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def spans(session: Session, workspace_id: uuid.UUID) -> dict[str, Span]:
    """Per platform, the span its data covers (platforms without any data are absent)."""
    rows = repository.coverage_spans(session, workspace_id)
    return {r.platform: Span(r.first_day, r.last_day) for r in rows}
