"""The followers search's tier counts: exact up to the cap, lower bounds beyond it (and said so),
narrowed to a platform before counting."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from fanlens.analytics import service
from fanlens.audience.models import Follower
from tests.fixtures.builders import create_follower, create_workspace, interact

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def _recount(session: Session, ws: uuid.UUID, like: str, platform: str | None) -> dict[str, int]:
    """Every matching follower per tier, counted from the tables."""
    rows = session.execute(
        text(
            "SELECT coalesce(s.engagement_tier, 'inactive'), count(*) FROM followers f "
            "LEFT JOIN follower_engagement_scores s ON s.follower_id = f.id "
            "WHERE f.workspace_id = :ws AND lower(f.username) LIKE :like "
            "AND (CAST(:platform AS text) IS NULL OR f.platform = :platform) GROUP BY 1"
        ),
        {"ws": ws, "like": like, "platform": platform},
    ).all()
    return dict(rows)  # type: ignore[arg-type]


def _shown(session: Session, ws: uuid.UUID, **kw: object) -> tuple[dict[str, int], bool]:
    found = service.tier_breakdown(session=session, workspace_id=ws, **kw)  # type: ignore[arg-type]
    return {t.tier: t.followers for t in found.tiers if t.followers}, found.capped


def _busy(session: Session, fan: Follower, comments: int) -> None:
    for n in range(comments):
        interact(session, fan, "comment", occurred_at=NOW - timedelta(days=n), value=f"hi {n}")


def test_counts_are_exact_up_to_the_cap_and_lower_bounds_beyond(session: Session) -> None:
    ws = create_workspace(session)
    crowd = [
        create_follower(session, ws, platform=platform, username=f"Crowd_{n}")
        for n, platform in enumerate(["tiktok", "tiktok", "youtube", "youtube", "tiktok"])
    ]
    create_follower(session, ws, username="someone_else")
    _busy(session, crowd[0], 30)  # scored into a higher tier than the rest
    _busy(session, crowd[2], 3)
    _busy(session, crowd[3], 1)
    every = _recount(session, ws.id, "%crowd%", None)
    assert sum(every.values()) == 5 and len(every) >= 2  # several tiers to count

    # At or under the cap: exactly the recount, not capped (the answer without a cap).
    for cap in (5, 1000):
        assert _shown(session, ws.id, username="@CROWD", cap=cap) == (every, False)
    # Over it: counting stops after cap + 1 matches; each tier at most its true count.
    shown, capped = _shown(session, ws.id, username="crowd", cap=2)
    assert capped and sum(shown.values()) == 3
    assert all(n <= every[tier] for tier, n in shown.items())

    # A platform narrows the matches before they are counted, so its cap is its own.
    youtube = _recount(session, ws.id, "%crowd%", "youtube")
    assert sum(youtube.values()) == 2
    assert _shown(session, ws.id, username="crowd", platform="YouTube", cap=2) == (youtube, False)
    assert _shown(session, ws.id, username="crowd", platform="youtube", cap=1)[1]

    # No search: the kept rollup, never capped; a search matching nobody: zeros, not capped.
    assert _shown(session, ws.id, cap=1)[1] is False
    assert _shown(session, ws.id, username="nobody", cap=1) == ({}, False)
