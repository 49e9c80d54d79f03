from __future__ import annotations

import re
from datetime import UTC, datetime

# RFC 3339 date-time; the interchange JSON Schema carries the same pattern.
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")


def utcnow() -> datetime:
    return datetime.now(UTC)


def parse_rfc3339(value: str) -> datetime:
    """Parse an RFC 3339 timestamp; a time without an offset is refused, not guessed."""
    text = value.strip()
    match = RFC3339.match(text)
    if not match:
        raise ValueError(f"{value!r} is not an RFC 3339 timestamp")
    fraction, offset = match.group(1) or "", match.group(2)
    base = text[:19].replace("t", "T").replace(" ", "T")
    zone = "+00:00" if offset in ("Z", "z") else offset
    return datetime.fromisoformat(f"{base}{fraction[:7]}{zone}").astimezone(UTC)
