"""SQL of the sentiment domain: claims, upserts, corrections, aggregates."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Row, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from fanlens.content.models import ContentItem
from fanlens.interactions.models import FollowerInteraction
from fanlens.sentiment import queries
from fanlens.sentiment.models import TEXT_TYPES, CommentSentiment, SentimentAlert

BASELINE_DAYS = 14


def claim(
    session: Session, *, workspace_id: uuid.UUID, after: uuid.UUID, limit: int, redo: bool
) -> Sequence[Row[Any]]:
    """Lock up to `limit` text interactions after `after` (un-analysed ones unless `redo`)."""
    sql = queries.CLAIM_ALL if redo else queries.CLAIM_PENDING
    return session.execute(text(sql), {"ws": workspace_id, "after": after, "n": limit}).all()


def still_pending(session: Session, ids: list[uuid.UUID]) -> set[uuid.UUID]:
    return set(session.scalars(text(queries.STILL_PENDING), {"ids": ids}))


def upsert(session: Session, rows: list[dict[str, Any]]) -> None:
    """Store analyser verdicts; a person's correction on the row is left as it is."""
    if not rows:
        return
    stmt = insert(CommentSentiment).values(rows)
    analysed = ("label", "score", "language", "analyser", "analyser_version", "is_question")
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["interaction_id"],
            set_={
                **{c: stmt.excluded[c] for c in analysed},
                "analysed_at": stmt.excluded.analysed_at,
            },
        )
    )


def get(
    session: Session, *, workspace_id: uuid.UUID, interaction_id: uuid.UUID
) -> CommentSentiment | None:
    return session.scalars(
        select(CommentSentiment).where(
            CommentSentiment.interaction_id == interaction_id,
            CommentSentiment.workspace_id == workspace_id,
        )
    ).one_or_none()


def many(
    session: Session, *, workspace_id: uuid.UUID, interaction_ids: list[uuid.UUID]
) -> list[CommentSentiment]:
    return list(
        session.scalars(
            select(CommentSentiment).where(
                CommentSentiment.workspace_id == workspace_id,
                CommentSentiment.interaction_id.in_(interaction_ids),
            )
        )
    )


def get_text_interaction(
    session: Session, *, workspace_id: uuid.UUID, interaction_id: uuid.UUID
) -> FollowerInteraction | None:
    return session.scalars(
        select(FollowerInteraction).where(
            FollowerInteraction.id == interaction_id,
            FollowerInteraction.workspace_id == workspace_id,
            FollowerInteraction.interaction_type.in_(TEXT_TYPES),
            FollowerInteraction.interaction_value.is_not(None),
        )
    ).one_or_none()


def content_totals(session: Session, *, workspace_id: uuid.UUID, content_id: uuid.UUID) -> Row[Any]:
    return session.execute(
        text(queries.CONTENT_TOTALS), {"ws": workspace_id, "content": content_id}
    ).one()


def content_trend(
    session: Session, *, workspace_id: uuid.UUID, content_id: uuid.UUID, bucket: str
) -> Sequence[Row[Any]]:
    return session.execute(
        text(queries.CONTENT_TREND), {"ws": workspace_id, "content": content_id, "bucket": bucket}
    ).all()


def unanswered(
    session: Session, *, workspace_id: uuid.UUID, content_id: uuid.UUID, limit: int
) -> Sequence[Row[Any]]:
    return session.execute(
        text(queries.UNANSWERED), {"ws": workspace_id, "content": content_id, "limit": limit}
    ).all()


def follower_mood(
    session: Session, *, workspace_id: uuid.UUID, follower_id: uuid.UUID, recent: int
) -> Row[Any]:
    return session.execute(
        text(queries.FOLLOWER_MOOD), {"ws": workspace_id, "follower": follower_id, "n": recent}
    ).one()


def platforms(session: Session, *, workspace_id: uuid.UUID, since: datetime) -> Sequence[Row[Any]]:
    return session.execute(text(queries.PLATFORMS), {"ws": workspace_id, "since": since}).all()


def daily_negative(session: Session, *, workspace_id: uuid.UUID, day: date) -> Sequence[Row[Any]]:
    start = datetime.combine(day, time(), tzinfo=UTC)
    return session.execute(
        text(queries.DAILY_NEGATIVE),
        {
            "ws": workspace_id,
            "day": day,
            "start": start - timedelta(days=BASELINE_DAYS),
            "end": start + timedelta(days=1),
        },
    ).all()


def add_alert_if_new(session: Session, values: dict[str, Any]) -> SentimentAlert | None:
    alert_id = session.execute(
        insert(SentimentAlert)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["workspace_id", "content_id", "day"])
        .returning(SentimentAlert.id)
    ).scalar_one_or_none()
    return session.get(SentimentAlert, alert_id) if alert_id else None


def list_alerts(
    session: Session, *, workspace_id: uuid.UUID, limit: int = 50
) -> list[SentimentAlert]:
    return list(
        session.scalars(
            select(SentimentAlert)
            .where(SentimentAlert.workspace_id == workspace_id)
            .order_by(SentimentAlert.day.desc(), SentimentAlert.content_id)
            .limit(limit)
        )
    )


def alerts_with_titles(
    session: Session, *, workspace_id: uuid.UUID, limit: int
) -> Sequence[Row[SentimentAlert, str | None]]:
    """Newest spike alerts with the title of their content item (for the overview page)."""
    return session.execute(
        select(SentimentAlert, ContentItem.title)
        .join(ContentItem, ContentItem.id == SentimentAlert.content_id)
        .where(SentimentAlert.workspace_id == workspace_id)
        .order_by(SentimentAlert.day.desc(), SentimentAlert.content_id)
        .limit(limit)
    ).all()


def corrected(session: Session, *, workspace_id: uuid.UUID) -> Sequence[Row[Any]]:
    return session.execute(text(queries.EXPORT_CORRECTED), {"ws": workspace_id}).all()
