"""Bounds shared by every request schema, so a value Python or PostgreSQL cannot hold is refused
where it comes in (a 422 naming the field) instead of failing deep inside as a 500."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field

# Times a request may name: wide enough for any real event, narrow enough that converting one
# to another offset, or adding a day to it, never leaves what datetime can hold.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
WINDOW = "between 1970-01-01T00:00:00Z and 2100-01-01T00:00:00Z"
ZONE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}$")


def in_window(moment: datetime) -> datetime:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    if not EARLIEST <= aware < LATEST:
        raise ValueError(f"must be {WINDOW}")
    return moment


def day_in_window(day: date) -> date:
    if not EARLIEST.date() <= day < LATEST.date():
        raise ValueError(f"must be a day {WINDOW}")
    return day


def zone_name(name: str) -> str:
    """An IANA time zone name the system knows (Europe/Paris, UTC)."""
    if not ZONE_NAME.match(name):
        raise ValueError("must be an IANA time zone name such as Europe/Paris or UTC")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(
            f"unknown time zone {name!r}; use an IANA name such as Europe/Paris"
        ) from exc
    return name


Moment = Annotated[datetime, AfterValidator(in_window)]
Day = Annotated[date, AfterValidator(day_in_window)]
ZoneName = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(zone_name)]
