"""Fans with known scores, comments with known sentiment, and campaigns over them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from fanlens.audience.models import Follower
from fanlens.content.models import ContentPost
from fanlens.outreach import service
from fanlens.outreach.models import OutreachCampaign
from fanlens.outreach.schemas import CampaignIn, SegmentFilters, SegmentIn
from fanlens.people import service as people_service
from fanlens.workspaces.models import Workspace
from tests.fixtures.builders import create_follower, interact

NOW = datetime.now(UTC)


def fan(
    session: Session,
    ws: Workspace,
    username: str,
    *,
    platform: str = "youtube",
    clicks: int = 35,  # 35 link clicks x 15 = 525: a super fan under the default rules
    at: datetime | None = None,
    **profile: Any,
) -> Follower:
    follower = create_follower(session, ws, platform=platform, username=username, **profile)
    if clicks:
        more_clicks(session, follower, clicks, at=at)
    return follower


def more_clicks(
    session: Session, follower: Follower, clicks: int, *, at: datetime | None = None
) -> None:
    """Link clicks in one batch (one statement, as ingest stores them)."""
    when = at or NOW - timedelta(days=1)
    ws, platform = follower.workspace_id, follower.platform
    session.execute(
        text(
            "INSERT INTO follower_interactions (workspace_id, follower_id, platform,"
            " interaction_type, occurred_at, dedup_key)"
            " SELECT :ws, :f, :p, 'link_click', :at, gen_random_uuid()"
            " FROM generate_series(1, :n)"
        ),
        {"ws": ws, "f": follower.id, "p": platform, "at": when, "n": clicks},
    )


def person(session: Session, follower: Follower) -> uuid.UUID:
    return people_service.person_of(
        session=session, workspace_id=follower.workspace_id, follower_id=follower.id
    )


def says(
    session: Session,
    follower: Follower,
    post: ContentPost,
    words: str,
    label: str,
    *,
    at: datetime | None = None,
) -> uuid.UUID:
    """A comment and its sentiment, as the analyser would have stored it."""
    recorded = interact(
        session, follower, "comment", post=post, occurred_at=at or NOW - timedelta(days=2),
        value=words, external_id=uuid.uuid4().hex,
    )  # fmt: skip
    score = {"negative": -0.8, "positive": 0.8}.get(label, 0.0)
    session.execute(
        text(
            "INSERT INTO comment_sentiments (interaction_id, workspace_id, label, score,"
            " language, analyser, analyser_version) VALUES (:i, :ws, :l, :s, 'en', 'test', '1')"
        ),
        {"i": recorded.interaction.id, "ws": follower.workspace_id, "l": label, "s": score},
    )
    return recorded.interaction.id


def campaign(
    session: Session,
    ws: Workspace,
    channel: str = "webhook",
    *,
    filters: SegmentFilters | None = None,
    template: str = "Hi {{ name }}, thanks for {{ interactions }} interactions!",
    subject: str | None = None,
    options: dict[str, Any] | None = None,
    name: str | None = None,
) -> OutreachCampaign:
    suffix = name or uuid.uuid4().hex[:8]
    filters = filters or SegmentFilters(tiers=["super_fan"])
    segment = service.create_segment(
        session=session, workspace_id=ws.id, data=SegmentIn(name=f"seg-{suffix}", filters=filters)
    )
    if options is None:
        options = {"url": "http://127.0.0.1:9/hook"} if channel == "webhook" else {}
    return service.create_campaign(
        session=session, workspace_id=ws.id,
        data=CampaignIn(name=f"camp-{suffix}", segment=str(segment.id), channel=channel,  # type: ignore[arg-type]
                        template=template, subject=subject, options=options),
    )  # fmt: skip
