"""How an interaction is identified, so storing it twice is a no-op.

With the platform's own id: (type, external_id). Without one: (type, post, user, occurred_at as
given) — so a like without a time is one per user and post, however often a sync sees it.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime


def dedup_key(
    *,
    interaction_type: str,
    external_id: str | None,
    external_post_id: str | None,
    external_user_id: str,
    occurred_at: datetime | None,
) -> uuid.UUID:
    if external_id:
        raw = f"id\x1f{interaction_type}\x1f{external_id}"
    else:
        when = occurred_at.astimezone(UTC).isoformat() if occurred_at else ""
        raw = f"k\x1f{interaction_type}\x1f{external_post_id or ''}\x1f{external_user_id}\x1f{when}"
    return uuid.UUID(bytes=hashlib.md5(raw.encode("utf-8")).digest())
