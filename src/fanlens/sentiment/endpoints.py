from __future__ import annotations

import uuid
from datetime import timedelta

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session as OrmSession

from fanlens.api.dependencies import workspace_endpoint
from fanlens.api.params import Timestamp
from fanlens.api.schemas import BAD_BODY
from fanlens.auth.service import Principal
from fanlens.kit.timeutil import utcnow
from fanlens.sentiment import repository, service
from fanlens.sentiment.schemas import (
    Bucket,
    ContentSentiment,
    Correction,
    FollowerMood,
    PlatformSentiment,
    SentimentAlertOut,
    SentimentOut,
    UnansweredQuestion,
)

router = APIRouter(prefix="/sentiment", tags=["sentiment"])


@router.get(
    "/content/{content_id}", response_model=ContentSentiment, summary="Sentiment of a content item"
)
@workspace_endpoint
def content_sentiment(
    content_id: uuid.UUID,
    session: OrmSession,
    principal: Principal,
    bucket: Bucket = "day",
) -> ContentSentiment:
    """Shares of positive / negative comments, the trend per `bucket` (day or week, UTC), and
    the questions no account of the creator has replied to yet."""
    return service.content_summary(
        session=session, workspace_id=principal.workspace_id, content_id=content_id, bucket=bucket
    )


@router.get(
    "/content/{content_id}/questions",
    response_model=list[UnansweredQuestion],
    summary="Unanswered questions on a content item",
)
@workspace_endpoint
def unanswered_questions(
    content_id: uuid.UUID,
    session: OrmSession,
    principal: Principal,
    limit: int = Query(100, ge=1, le=1000),
) -> list[UnansweredQuestion]:
    """Comments that ask the creator something, oldest first, with no reply from the creator's
    own accounts (a reply's parent is its `parent_external_id`)."""
    return service.unanswered_questions(
        session=session, workspace_id=principal.workspace_id, content_id=content_id, limit=limit
    )


@router.get(
    "/followers/{follower_id}", response_model=FollowerMood, summary="A follower's recent mood"
)
@workspace_endpoint
def follower_mood(
    follower_id: uuid.UUID,
    session: OrmSession,
    principal: Principal,
    recent: int = Query(20, ge=1, le=500, description="Latest comments to take the mood over."),
) -> FollowerMood:
    return service.follower_mood(
        session=session, workspace_id=principal.workspace_id, follower_id=follower_id, recent=recent
    )


@router.get("/platforms", response_model=list[PlatformSentiment], summary="Sentiment per platform")
@workspace_endpoint
def platform_sentiment(
    session: OrmSession, principal: Principal, since: Timestamp = None
) -> list[PlatformSentiment]:
    """Label counts and shares per platform of comments since `since` (default: 30 days)."""
    return service.platform_summary(
        session=session,
        workspace_id=principal.workspace_id,
        since=since or utcnow() - timedelta(days=30),
    )


@router.get("/alerts", response_model=list[SentimentAlertOut], summary="Negative spikes")
@workspace_endpoint
def sentiment_alerts(session: OrmSession, principal: Principal) -> list[SentimentAlertOut]:
    """Days on which a content item's comments turned negative well beyond its usual share."""
    alerts = repository.list_alerts(session, workspace_id=principal.workspace_id)
    return [SentimentAlertOut.model_validate(a) for a in alerts]


@router.get(
    "/comments/{interaction_id}", response_model=SentimentOut, summary="A comment's sentiment"
)
@workspace_endpoint
def get_comment_sentiment(
    interaction_id: uuid.UUID, session: OrmSession, principal: Principal
) -> SentimentOut:
    return service.get_sentiment(
        session=session, workspace_id=principal.workspace_id, interaction_id=interaction_id
    )


@router.put(
    "/comments/{interaction_id}",
    response_model=SentimentOut,
    summary="Correct a comment's label",
    responses=BAD_BODY,
)
@workspace_endpoint(write=True)
def correct_comment(
    interaction_id: uuid.UUID, correction: Correction, session: OrmSession, principal: Principal
) -> SentimentOut:
    """Set the label by hand (write scope). The correction wins over every analyser and
    survives re-analysis; `fanlens sentiment export-labels` exports the corrected set."""
    return service.correct(
        session=session,
        workspace_id=principal.workspace_id,
        interaction_id=interaction_id,
        label=correction.label,
        corrected_by=f"token:{principal.token_id}",
    )
