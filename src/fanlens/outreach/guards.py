"""Time guards in the workspace's time zone: quiet hours and the daily cap's day."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fanlens.kit.errors import InvalidInput
from fanlens.outreach.models import OutreachSettings


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # OSError: name too long
        raise InvalidInput(f"unknown time zone {name!r}") from exc


def _in_window(t: time, start: time, end: time) -> bool:
    if start <= end:
        return start <= t < end
    return t >= start or t < end  # the window wraps midnight (22:00-08:00)


def quiet_until(cfg: OutreachSettings, now: datetime) -> datetime | None:
    """When quiet hours end, if `now` falls in them; None when sending is allowed."""
    if cfg.quiet_start is None or cfg.quiet_end is None:
        return None
    tz = zone(cfg.time_zone)
    local = now.astimezone(tz)
    if not _in_window(local.time().replace(tzinfo=None), cfg.quiet_start, cfg.quiet_end):
        return None
    end = datetime.combine(local.date(), cfg.quiet_end, tzinfo=tz)
    if end <= local:
        end = datetime.combine(local.date() + timedelta(days=1), cfg.quiet_end, tzinfo=tz)
    return end.astimezone(UTC)


def day_start(cfg: OutreachSettings, now: datetime) -> datetime:
    """Local midnight today, in UTC: the daily cap counts from here."""
    tz = zone(cfg.time_zone)
    local = now.astimezone(tz)
    return datetime.combine(local.date(), time(0), tzinfo=tz).astimezone(UTC)


def next_day_start(cfg: OutreachSettings, now: datetime) -> datetime:
    tz = zone(cfg.time_zone)
    local = now.astimezone(tz)
    return datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
