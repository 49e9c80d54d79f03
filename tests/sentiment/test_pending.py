"""A comment not analysed yet is `pending` in every answer that shows a label, and counted apart:
one item with comments ingested in two rounds, only the first analysed."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fanlens.interactions.ingest import ingest_records
from fanlens.interactions.models import FollowerInteraction
from fanlens.sentiment import service
from fanlens.sentiment.analysers import VaderAnalyser
from tests.fixtures.builders import create_workspace

# (external id, follower, day of November 2026, text, the label a reader gives it)
FIRST = [
    ("a1", "u1", 2, "I love this video, great work!", "positive"),
    ("a2", "u2", 2, "This is terrible, I hate it", "negative"),
]
LATER = [
    ("b1", "u1", 3, "This is terrible advice", None),  # None: not analysed yet
    ("b2", "u3", 3, "Watching this from the office", None),
]


def _records(rows: list[tuple[str, str, int, str, str | None]]) -> list[dict[str, Any]]:
    post = {
        "type": "post", "platform": "youtube", "external_post_id": "v1",
        "content": {"key": "item", "title": "Item"}, "posted_at": "2026-11-01T12:00:00Z",
    }  # fmt: skip
    return [post] + [
        {
            "type": "interaction",
            "platform": "youtube",
            "interaction_type": "comment",
            "external_id": ext,
            "external_post_id": "v1",
            "text": text,
            "occurred_at": f"2026-11-{day:02d}T15:00:00Z",
            "user": {"external_user_id": user},
        }
        for ext, user, day, text, _ in rows
    ]


def _ids(session: Session, ws: uuid.UUID) -> dict[str, FollowerInteraction]:
    rows = session.scalars(
        select(FollowerInteraction).where(FollowerInteraction.workspace_id == ws)
    )
    return {r.external_id: r for r in rows if r.external_id}


def _analyse(session: Session, ws: uuid.UUID) -> None:
    while service.analyse_batch(
        session=session, workspace_id=ws, analyser=VaderAnalyser()
    ).analysed:
        pass


def test_pending_comments_are_labelled_pending_and_counted_apart(session: Session) -> None:
    ws = create_workspace(session).id
    ingest_records(session, workspace_id=ws, records=_records(FIRST), source="api")
    _analyse(session, ws)
    ingest_records(session, workspace_id=ws, records=_records(LATER), source="api")
    found = _ids(session, ws)
    content_id = found["a1"].content_id
    assert content_id is not None

    for ext, _, _, _, label in FIRST + LATER:
        out = service.get_sentiment(session=session, workspace_id=ws, interaction_id=found[ext].id)
        assert (out.status, out.label) == (("analysed", label) if label else ("pending", "pending"))
        assert (out.analyser is None) == (label is None)

    summary = service.content_summary(session=session, workspace_id=ws, content_id=content_id)
    analysed = [r[4] for r in FIRST + LATER if r[4]]
    assert (summary.total, summary.pending) == (len(analysed), len(LATER))
    assert (summary.positive, summary.negative, summary.neutral) == (
        analysed.count("positive"), analysed.count("negative"), analysed.count("neutral"),
    )  # fmt: skip
    per_day = {p.period.day: (p.total, p.pending) for p in summary.trend}
    assert per_day == {2: (2, 0), 3: (0, 2)}

    u1 = found["a1"].follower_id
    mood = service.follower_mood(session=session, workspace_id=ws, follower_id=u1, recent=1)
    assert (mood.mood, mood.total, mood.pending) == ("pending", 0, 1)  # its latest is pending
    mood = service.follower_mood(session=session, workspace_id=ws, follower_id=u1, recent=2)
    assert (mood.mood, mood.total, mood.pending) == ("positive", 1, 1)
