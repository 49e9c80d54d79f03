"""A content item with comments, and a creator account, for the sentiment tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from fanlens.audience.models import Follower
from fanlens.connectors.models import Account
from fanlens.content.models import ContentPost
from fanlens.workspaces.models import Workspace
from tests.fixtures.builders import create_content, create_follower, create_post, interact

T0 = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
POSITIVE = "I love this video, great work!"
NEGATIVE = "This is terrible, I hate it"
NEUTRAL = "Watching this from the office"


def comment(
    session: Session,
    fan: Follower,
    post: ContentPost,
    text: str,
    *,
    at: datetime = T0,
    kind: str = "comment",
    parent: str | None = None,
) -> uuid.UUID:
    return interact(
        session, fan, kind, post=post, occurred_at=at, value=text,
        external_id=uuid.uuid4().hex, parent_external_id=parent,
    ).interaction.id  # fmt: skip


def content_with_post(session: Session, ws: Workspace, platform: str = "youtube") -> ContentPost:
    item = create_content(session, ws)
    return create_post(session, item, platform=platform)


def creator_account(session: Session, ws: Workspace, platform: str = "youtube") -> Follower:
    """The creator's own channel, and the follower row its replies are stored under."""
    me = create_follower(session, ws, platform=platform, username="the_creator")
    session.add(
        Account(
            workspace_id=ws.id, platform=platform, handle="@the_creator",
            external_id=me.external_user_id,
        )
    )  # fmt: skip
    session.flush()
    return me


def days(n: int) -> timedelta:
    return timedelta(days=n)
