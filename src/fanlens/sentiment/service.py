"""Sentiment rules: analyse claimed comments, corrections, summaries, negative spikes."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session

from fanlens.kit.errors import NotFound
from fanlens.kit.timeutil import utcnow
from fanlens.sentiment import repository
from fanlens.sentiment.analysers import Analyser, VaderAnalyser, analyse_texts
from fanlens.sentiment.models import CommentSentiment, SentimentAlert
from fanlens.sentiment.questions import is_question
from fanlens.sentiment.schemas import (
    Bucket,
    ContentSentiment,
    FollowerMood,
    LabelCounts,
    PlatformSentiment,
    SentimentOut,
    TrendPoint,
    UnansweredQuestion,
)

log = logging.getLogger(__name__)
FIRST_ID = uuid.UUID(int=0)
MOOD_FROM = 0.05  # a follower's mean score beyond ±this is a mood; the same cut-off as VADER's


@dataclass
class BatchOutcome:
    claimed: int = 0
    analysed: int = 0
    last_id: uuid.UUID = FIRST_ID
    days: set[date] = field(default_factory=set)


def analyse_batch(
    *,
    session: Session,
    workspace_id: uuid.UUID,
    analyser: Analyser,
    after: uuid.UUID = FIRST_ID,
    limit: int = 1_000,
    redo: bool = False,
) -> BatchOutcome:
    """Claim the next comments after `after`, analyse and store them (flush, no commit).

    `claimed == 0` means nothing is left after `after`. The claim's row locks last until the
    caller commits, which is what keeps two concurrent runs from analysing a comment twice."""
    rows = repository.claim(session, workspace_id=workspace_id, after=after, limit=limit, redo=redo)
    outcome = BatchOutcome(claimed=len(rows), last_id=rows[-1].id if rows else after)
    if not redo and rows:
        pending = repository.still_pending(
            session, workspace_id=workspace_id, ids=[r.id for r in rows]
        )
        rows = [r for r in rows if r.id in pending]
    if not rows:
        return outcome
    verdicts = analyse_texts([r.text for r in rows], analyser)
    now = utcnow()
    repository.upsert(
        session,
        [
            {
                "interaction_id": r.id,
                "workspace_id": workspace_id,
                "label": v.label,
                "score": round(v.score, 4),
                "language": v.language,
                "analyser": v.analyser,
                "analyser_version": v.analyser_version,
                "is_question": is_question(r.text, v.language),
                "analysed_at": now,
            }
            for r, v in zip(rows, verdicts, strict=True)
        ],
    )
    outcome.analysed = len(rows)
    outcome.days = {r.occurred_at.date() for r in rows}
    return outcome


def correct(
    *,
    session: Session,
    workspace_id: uuid.UUID,
    interaction_id: uuid.UUID,
    label: str,
    corrected_by: str,
) -> SentimentOut:
    """Set a person's label on a comment; it wins over every analyser from now on."""
    sentiment = repository.get(session, workspace_id=workspace_id, interaction_id=interaction_id)
    if sentiment is None:  # not analysed yet: analyse it now so the row has an analyser verdict
        _analyse_one(session, workspace_id=workspace_id, interaction_id=interaction_id)
        sentiment = repository.get(
            session, workspace_id=workspace_id, interaction_id=interaction_id
        )
        assert sentiment is not None
    sentiment.corrected_label = label
    sentiment.corrected_by = corrected_by
    sentiment.corrected_at = utcnow()
    session.flush()
    return to_out(sentiment)


def _analyse_one(session: Session, *, workspace_id: uuid.UUID, interaction_id: uuid.UUID) -> None:
    interaction = repository.get_text_interaction(
        session, workspace_id=workspace_id, interaction_id=interaction_id
    )
    if interaction is None or interaction.interaction_value is None:
        raise NotFound(f"no comment, reply, quote or mention with id {interaction_id}")
    text = interaction.interaction_value
    verdict = analyse_texts([text], VaderAnalyser())[0]
    repository.upsert(
        session,
        [
            {
                "interaction_id": interaction_id,
                "workspace_id": workspace_id,
                "label": verdict.label,
                "score": round(verdict.score, 4),
                "language": verdict.language,
                "analyser": verdict.analyser,
                "analyser_version": verdict.analyser_version,
                "is_question": is_question(text, verdict.language),
                "analysed_at": utcnow(),
            }
        ],
    )


def get_sentiment(
    *, session: Session, workspace_id: uuid.UUID, interaction_id: uuid.UUID
) -> SentimentOut:
    """A comment's sentiment, `pending` while it is not analysed yet."""
    sentiment = repository.get(session, workspace_id=workspace_id, interaction_id=interaction_id)
    if sentiment is not None:
        return to_out(sentiment)
    found = repository.get_text_interaction(
        session, workspace_id=workspace_id, interaction_id=interaction_id
    )
    if found is None:
        raise NotFound(f"no comment, reply, quote or mention with id {interaction_id}")
    return pending_out(interaction_id)


def sentiments_of(
    *, session: Session, workspace_id: uuid.UUID, interaction_ids: list[uuid.UUID]
) -> dict[uuid.UUID, SentimentOut]:
    """The sentiment of each listed comment that has one (pages show them beside the text)."""
    rows = repository.many(session, workspace_id=workspace_id, interaction_ids=interaction_ids)
    return {row.interaction_id: to_out(row) for row in rows}


def pending_out(interaction_id: uuid.UUID) -> SentimentOut:
    """A comment the analyser has not reached yet: no label stands in for the missing one."""
    return SentimentOut(
        interaction_id=interaction_id,
        status="pending",
        label="pending",
        analyser_label=None,
        score=None,
        language=None,
        analyser=None,
        analyser_version=None,
        is_question=None,
        corrected_label=None,
        corrected_by=None,
        corrected_at=None,
        analysed_at=None,
    )


def to_out(sentiment: CommentSentiment) -> SentimentOut:
    return SentimentOut(
        interaction_id=sentiment.interaction_id,
        status="analysed",
        label=sentiment.corrected_label or sentiment.label,
        analyser_label=sentiment.label,
        score=sentiment.score,
        language=sentiment.language,
        analyser=sentiment.analyser,
        analyser_version=sentiment.analyser_version,
        is_question=sentiment.is_question,
        corrected_label=sentiment.corrected_label,
        corrected_by=sentiment.corrected_by,
        corrected_at=sentiment.corrected_at,
        analysed_at=sentiment.analysed_at,
    )


def _counts(row: Row[Any]) -> dict[str, Any]:
    judged = row.positive + row.neutral + row.negative
    return {
        "total": row.total,
        "pending": row.pending,
        "positive": row.positive,
        "neutral": row.neutral,
        "negative": row.negative,
        "positive_share": round(row.positive / judged, 4) if judged else None,
        "negative_share": round(row.negative / judged, 4) if judged else None,
        "mean_score": round(float(row.mean_score), 4) if row.mean_score is not None else None,
    }


def content_summary(
    *,
    session: Session,
    workspace_id: uuid.UUID,
    content_id: uuid.UUID,
    bucket: Bucket = "day",
    question_limit: int = 100,
    with_trend: bool = True,
) -> ContentSentiment:
    """The item's sentiment; `with_trend=False` leaves the trend empty (a pass over the item's
    comments that the content page does not show)."""
    _content_or_raise(session, workspace_id, content_id)
    totals = repository.content_totals(session, workspace_id=workspace_id, content_id=content_id)
    trend = (
        repository.content_trend(
            session, workspace_id=workspace_id, content_id=content_id, bucket=bucket
        )
        if with_trend
        else []
    )
    return ContentSentiment(
        content_id=content_id,
        **_counts(totals),
        unsupported_language=totals.unsupported_language,
        questions=totals.questions,
        unanswered_questions=_unanswered(session, workspace_id, content_id, question_limit),
        trend=[TrendPoint(period=r.period, **_counts(r)) for r in trend],
    )


def label_counts(
    *, session: Session, workspace_id: uuid.UUID, content_id: uuid.UUID
) -> LabelCounts | None:
    """The item's label counts (pending ones included), or None while it has no comments."""
    totals = repository.content_totals(session, workspace_id=workspace_id, content_id=content_id)
    return LabelCounts(**_counts(totals)) if totals.total or totals.pending else None


def label_counts_of(summary: ContentSentiment) -> LabelCounts | None:
    """`label_counts` taken from the item's summary already read (no second count)."""
    if not summary.total and not summary.pending:
        return None
    return LabelCounts(**summary.model_dump(include=set(LabelCounts.model_fields)))


def unanswered_questions(
    *, session: Session, workspace_id: uuid.UUID, content_id: uuid.UUID, limit: int = 100
) -> list[UnansweredQuestion]:
    _content_or_raise(session, workspace_id, content_id)
    return _unanswered(session, workspace_id, content_id, limit)


def _unanswered(
    session: Session, workspace_id: uuid.UUID, content_id: uuid.UUID, limit: int
) -> list[UnansweredQuestion]:
    rows = repository.unanswered(
        session, workspace_id=workspace_id, content_id=content_id, limit=limit
    )
    return [UnansweredQuestion.model_validate(r._mapping) for r in rows]


def _content_or_raise(session: Session, workspace_id: uuid.UUID, content_id: uuid.UUID) -> None:
    if not repository.content_in_workspace(
        session, workspace_id=workspace_id, content_id=content_id
    ):
        raise NotFound(f"no content item {content_id} in this workspace")


def follower_mood(
    *, session: Session, workspace_id: uuid.UUID, follower_id: uuid.UUID, recent: int = 20
) -> FollowerMood:
    if not repository.follower_in_workspace(
        session, workspace_id=workspace_id, follower_id=follower_id
    ):
        raise NotFound(f"no follower {follower_id} in this workspace")
    row = repository.follower_mood(
        session, workspace_id=workspace_id, follower_id=follower_id, recent=recent
    )
    counts = _counts(row)
    return FollowerMood(
        follower_id=follower_id,
        recent=recent,
        mood="pending" if row.pending and not row.total else _mood(counts["mean_score"]),
        last_comment_at=row.last_comment_at,
        **counts,
    )


def _mood(mean: float | None) -> Any:
    if mean is None:
        return "unknown"
    return "positive" if mean >= MOOD_FROM else "negative" if mean <= -MOOD_FROM else "neutral"


def platform_summary(
    *, session: Session, workspace_id: uuid.UUID, since: datetime
) -> list[PlatformSentiment]:
    rows = repository.platforms(session, workspace_id=workspace_id, since=since)
    return [PlatformSentiment(platform=r.platform, **_counts(r)) for r in rows]


def detect_spikes(
    *,
    session: Session,
    workspace_id: uuid.UUID,
    day: date,
    min_negative: int,
    share: float,
) -> list[SentimentAlert]:
    """Alert on each content item whose negative share on `day` reached `share` with at least
    `min_negative` negative comments and at least twice its share of the 14 days before.
    Returns the alerts new in this call (re-running is a no-op)."""
    created = []
    for row in repository.daily_negative(session, workspace_id=workspace_id, day=day):
        day_share = Decimal(row.negative) / Decimal(row.judged)
        if row.negative < min_negative or day_share < Decimal(str(share)):
            continue
        if day_share < 2 * row.baseline_share:
            continue  # this item is usually this negative: not a spike
        alert = repository.add_alert_if_new(
            session,
            {
                "workspace_id": workspace_id,
                "content_id": row.content_id,
                "day": day,
                "negative_count": row.negative,
                "comment_count": row.judged,
                "negative_share": day_share.quantize(Decimal("0.0001")),
                "baseline_share": Decimal(row.baseline_share).quantize(Decimal("0.0001")),
            },
        )
        if alert is not None:
            log.warning(
                "negative comment spike: workspace %s, content %s, %s: %d of %d negative "
                "(%.0f%% vs %.0f%% over the 14 days before)",
                workspace_id, row.content_id, day, row.negative, row.judged,
                day_share * 100, row.baseline_share * 100,
            )  # fmt: skip
            created.append(alert)
    return created


def export_labels(*, session: Session, workspace_id: uuid.UUID) -> list[dict[str, Any]]:
    """The corrected set: one dict per corrected comment (JSON-ready)."""
    return [
        {
            "interaction_id": str(r.interaction_id),
            "text": r.text,
            "label": r.label,
            "language": r.language,
            "platform": r.platform,
            "interaction_type": r.interaction_type,
            "analyser_label": r.analyser_label,
            "score": r.score,
            "analyser": r.analyser,
            "analyser_version": r.analyser_version,
            "corrected_by": r.corrected_by,
            "corrected_at": r.corrected_at.isoformat(),
        }
        for r in repository.corrected(session, workspace_id=workspace_id)
    ]
