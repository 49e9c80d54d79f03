"""SQL of the sentiment domain: claims, upserts, corrections, aggregates."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Row, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from fanlens.audience.models import Follower
from fanlens.content.models import ContentItem
from fanlens.interactions.models import FollowerInteraction
from fanlens.sentiment.models import TEXT_FILTER, TEXT_TYPES, CommentSentiment, SentimentAlert

BASELINE_DAYS = 14

_EFFECTIVE = "coalesce(s.corrected_label, s.label)"
_TEXT_OF_I = "i." + TEXT_FILTER.replace(" AND ", " AND i.")
# The summaries walk every text interaction and join its sentiment when there is one, so a
# comment not analysed yet is counted as pending rather than left out.
_COUNTS = f"""count(s.interaction_id) AS total,
       count(*) FILTER (WHERE s.interaction_id IS NULL) AS pending,
       count(*) FILTER (WHERE {_EFFECTIVE} = 'positive') AS positive,
       count(*) FILTER (WHERE {_EFFECTIVE} = 'neutral') AS neutral,
       count(*) FILTER (WHERE {_EFFECTIVE} = 'negative') AS negative,
       avg(s.score) FILTER (WHERE s.label <> 'unsupported_language') AS mean_score"""

# Un-analysed text interactions after :after (keyset, so a long run never re-walks what it
# passed), locked so that concurrent runs split the work: rows another run holds are skipped.
_CLAIM_PENDING = text(
    f"""
SELECT i.id, i.interaction_value AS text, i.occurred_at
FROM follower_interactions i
LEFT JOIN comment_sentiments s ON s.interaction_id = i.id AND s.workspace_id = i.workspace_id
WHERE i.workspace_id = :ws AND {_TEXT_OF_I}
  AND i.id > :after AND s.interaction_id IS NULL
ORDER BY i.id
LIMIT :n
FOR UPDATE OF i SKIP LOCKED
"""
)

# Every text interaction (re-analysis), same keyset walk and locks.
_CLAIM_ALL = text(
    f"""
SELECT i.id, i.interaction_value AS text, i.occurred_at
FROM follower_interactions i
WHERE i.workspace_id = :ws AND {_TEXT_OF_I} AND i.id > :after
ORDER BY i.id
LIMIT :n
FOR UPDATE OF i SKIP LOCKED
"""
)

# Of the rows just locked, those still un-analysed. This statement's snapshot is newer than the
# claim's: a run that analysed one of them and committed before our lock is seen here.
_STILL_PENDING = text(
    """
SELECT u.id FROM unnest(CAST(:ids AS uuid[])) AS u(id)
WHERE NOT EXISTS (SELECT 1 FROM comment_sentiments s
                  WHERE s.interaction_id = u.id AND s.workspace_id = :ws)
"""
)

# Followers that are the creator's own accounts (matched by platform id or handle).
_CREATOR_FOLLOWERS = """
SELECT f.id FROM followers f
JOIN accounts a ON a.workspace_id = f.workspace_id AND a.platform = f.platform
 AND (a.external_id = f.external_user_id
      OR ltrim(lower(a.handle), '@') = ltrim(lower(f.username), '@'))
WHERE f.workspace_id = :ws
"""

# Questions on a content item that no creator account replied to. Comments and mentions ask
# the creator; a reply asks the creator only when it answers one of the creator's own replies.
_UNANSWERED = text(
    f"""
WITH creator AS ({_CREATOR_FOLLOWERS})
SELECT q.id AS interaction_id, q.follower_id, f.username, q.platform, q.interaction_type,
       q.interaction_value AS text, q.occurred_at, s.language
FROM follower_interactions q
JOIN comment_sentiments s
  ON s.interaction_id = q.id AND s.workspace_id = q.workspace_id AND s.is_question
JOIN followers f ON f.id = q.follower_id AND f.workspace_id = q.workspace_id
WHERE q.workspace_id = :ws AND q.content_id = :content
  AND q.follower_id NOT IN (SELECT id FROM creator)
  AND (q.interaction_type IN ('comment', 'mention', 'quote')
       OR EXISTS (SELECT 1 FROM follower_interactions p
                  WHERE p.workspace_id = q.workspace_id AND p.platform = q.platform
                    AND p.external_id = q.parent_external_id
                    AND p.follower_id IN (SELECT id FROM creator)))
  AND (q.external_id IS NULL
       OR NOT EXISTS (SELECT 1 FROM follower_interactions r
                      WHERE r.workspace_id = q.workspace_id AND r.platform = q.platform
                        AND r.parent_external_id = q.external_id
                        AND r.follower_id IN (SELECT id FROM creator)))
ORDER BY q.occurred_at, q.id
LIMIT :limit
"""
)

_CONTENT_TOTALS = text(
    f"""
SELECT {_COUNTS},
       count(*) FILTER (WHERE {_EFFECTIVE} = 'unsupported_language') AS unsupported_language,
       count(*) FILTER (WHERE s.is_question) AS questions
FROM follower_interactions i
LEFT JOIN comment_sentiments s ON s.interaction_id = i.id AND s.workspace_id = i.workspace_id
WHERE i.workspace_id = :ws AND i.content_id = :content AND {_TEXT_OF_I}
"""
)

_CONTENT_TREND = text(
    f"""
SELECT date_trunc(:bucket, i.occurred_at AT TIME ZONE 'UTC')::date AS period, {_COUNTS}
FROM follower_interactions i
LEFT JOIN comment_sentiments s ON s.interaction_id = i.id AND s.workspace_id = i.workspace_id
WHERE i.workspace_id = :ws AND i.content_id = :content AND {_TEXT_OF_I}
GROUP BY 1 ORDER BY 1
"""
)

# A follower's mood: their latest :n comments, of which the analysed ones give the labels.
_FOLLOWER_MOOD = text(
    f"""
SELECT {_COUNTS}, max(i.occurred_at) AS last_comment_at
FROM (SELECT i.id, i.workspace_id, i.occurred_at
      FROM follower_interactions i
      WHERE i.workspace_id = :ws AND i.follower_id = :follower AND {_TEXT_OF_I}
      ORDER BY i.occurred_at DESC LIMIT :n) i
LEFT JOIN comment_sentiments s ON s.interaction_id = i.id AND s.workspace_id = i.workspace_id
"""
)

_PLATFORMS = text(
    f"""
SELECT i.platform, {_COUNTS}
FROM follower_interactions i
LEFT JOIN comment_sentiments s ON s.interaction_id = i.id AND s.workspace_id = i.workspace_id
WHERE i.workspace_id = :ws AND i.occurred_at >= :since AND {_TEXT_OF_I}
GROUP BY i.platform ORDER BY i.platform
"""
)

# Per content item: the day's negative count and share, and the share over the days before.
_DAILY_NEGATIVE = text(
    f"""
WITH daily AS (
    SELECT i.content_id, (i.occurred_at AT TIME ZONE 'UTC')::date AS day,
           count(*) FILTER (WHERE {_EFFECTIVE} = 'negative') AS negative,
           count(*) FILTER (WHERE {_EFFECTIVE} <> 'unsupported_language') AS judged
    FROM follower_interactions i
    JOIN comment_sentiments s ON s.interaction_id = i.id AND s.workspace_id = i.workspace_id
    WHERE i.workspace_id = :ws AND i.content_id IS NOT NULL
      AND i.occurred_at >= :start AND i.occurred_at < :end
    GROUP BY 1, 2)
SELECT d.content_id, d.negative, d.judged,
       coalesce(sum(b.negative)::numeric / nullif(sum(b.judged), 0), 0) AS baseline_share
FROM daily d
LEFT JOIN daily b ON b.content_id = d.content_id AND b.day < d.day
WHERE d.day = :day AND d.judged > 0
GROUP BY d.content_id, d.negative, d.judged
ORDER BY d.content_id
"""
)

_EXPORT_CORRECTED = text(
    """
SELECT s.interaction_id, i.platform, i.interaction_type, i.interaction_value AS text,
       s.language, s.label AS analyser_label, s.score, s.analyser, s.analyser_version,
       s.corrected_label AS label, s.corrected_by, s.corrected_at
FROM comment_sentiments s
JOIN follower_interactions i ON i.id = s.interaction_id AND i.workspace_id = s.workspace_id
WHERE s.workspace_id = :ws AND s.corrected_label IS NOT NULL
ORDER BY s.corrected_at, s.interaction_id
"""
)


def claim(
    session: Session, *, workspace_id: uuid.UUID, after: uuid.UUID, limit: int, redo: bool
) -> Sequence[Row[Any]]:
    """Lock up to `limit` text interactions after `after` (un-analysed ones unless `redo`)."""
    stmt = _CLAIM_ALL if redo else _CLAIM_PENDING
    return session.execute(stmt, {"ws": workspace_id, "after": after, "n": limit}).all()


def still_pending(
    session: Session, *, workspace_id: uuid.UUID, ids: list[uuid.UUID]
) -> set[uuid.UUID]:
    return set(session.scalars(_STILL_PENDING, {"ws": workspace_id, "ids": ids}))


def upsert(session: Session, rows: list[dict[str, Any]]) -> None:
    """Store analyser verdicts; a person's correction on the row is left as it is."""
    if not rows:
        return
    stmt = insert(CommentSentiment).values(rows)
    analysed = ("label", "score", "language", "analyser", "analyser_version", "is_question")
    session.execute(
        stmt.on_conflict_do_update(
            constraint="pk_comment_sentiments",
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


def content_in_workspace(
    session: Session, *, workspace_id: uuid.UUID, content_id: uuid.UUID
) -> bool:
    found = session.scalar(
        select(ContentItem.id).where(
            ContentItem.id == content_id, ContentItem.workspace_id == workspace_id
        )
    )
    return found is not None


def follower_in_workspace(
    session: Session, *, workspace_id: uuid.UUID, follower_id: uuid.UUID
) -> bool:
    found = session.scalar(
        select(Follower.id).where(Follower.id == follower_id, Follower.workspace_id == workspace_id)
    )
    return found is not None


def content_totals(session: Session, *, workspace_id: uuid.UUID, content_id: uuid.UUID) -> Row[Any]:
    return session.execute(_CONTENT_TOTALS, {"ws": workspace_id, "content": content_id}).one()


def content_trend(
    session: Session, *, workspace_id: uuid.UUID, content_id: uuid.UUID, bucket: str
) -> Sequence[Row[Any]]:
    return session.execute(
        _CONTENT_TREND, {"ws": workspace_id, "content": content_id, "bucket": bucket}
    ).all()


def unanswered(
    session: Session, *, workspace_id: uuid.UUID, content_id: uuid.UUID, limit: int
) -> Sequence[Row[Any]]:
    return session.execute(
        _UNANSWERED, {"ws": workspace_id, "content": content_id, "limit": limit}
    ).all()


def follower_mood(
    session: Session, *, workspace_id: uuid.UUID, follower_id: uuid.UUID, recent: int
) -> Row[Any]:
    return session.execute(
        _FOLLOWER_MOOD, {"ws": workspace_id, "follower": follower_id, "n": recent}
    ).one()


def platforms(session: Session, *, workspace_id: uuid.UUID, since: datetime) -> Sequence[Row[Any]]:
    return session.execute(_PLATFORMS, {"ws": workspace_id, "since": since}).all()


def daily_negative(session: Session, *, workspace_id: uuid.UUID, day: date) -> Sequence[Row[Any]]:
    start = datetime.combine(day, time(), tzinfo=UTC)
    return session.execute(
        _DAILY_NEGATIVE,
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
        .join(
            ContentItem,
            (ContentItem.id == SentimentAlert.content_id)
            & (ContentItem.workspace_id == SentimentAlert.workspace_id),
        )
        .where(SentimentAlert.workspace_id == workspace_id)
        .order_by(SentimentAlert.day.desc(), SentimentAlert.content_id)
        .limit(limit)
    ).all()


def corrected(session: Session, *, workspace_id: uuid.UUID) -> Sequence[Row[Any]]:
    return session.execute(_EXPORT_CORRECTED, {"ws": workspace_id}).all()
