from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from fanlens.audience.models import Follower
from fanlens.content.models import ContentItem, ContentPost
from fanlens.interactions.models import FollowerInteraction, IngestReject


def insert_if_new(session: Session, values: dict[str, Any]) -> uuid.UUID | None:
    """Insert one interaction; None when the same interaction is already stored."""
    stmt = (
        insert(FollowerInteraction)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["workspace_id", "platform", "dedup_key"])
        .returning(FollowerInteraction.id)
    )
    return session.execute(stmt).scalar_one_or_none()


def get_by_key(
    session: Session, *, workspace_id: uuid.UUID, platform: str, dedup_key: uuid.UUID
) -> FollowerInteraction | None:
    return session.scalars(
        select(FollowerInteraction).where(
            FollowerInteraction.workspace_id == workspace_id,
            FollowerInteraction.platform == platform,
            FollowerInteraction.dedup_key == dedup_key,
        )
    ).one_or_none()


# --- read side: the activity log (API) -------------------------------------------------------


@dataclass(frozen=True)
class ActivityFilters:
    username: str | None = None
    follower_id: uuid.UUID | None = None
    content_id: uuid.UUID | None = None
    platform: str | None = None
    interaction_type: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def follower_ids_by_username(
    session: Session, *, workspace_id: uuid.UUID, username: str
) -> list[uuid.UUID]:
    """The followers (one per platform at most) with this username, through the
    (workspace_id, lower(username)) index; '@creator_amy' and 'Creator_Amy' both match."""
    needle = username.lstrip("@").lower()
    stmt = (
        select(Follower.id)
        .where(Follower.workspace_id == workspace_id, func.lower(Follower.username) == needle)
        .order_by(Follower.id)
    )
    return list(session.scalars(stmt))


def activity_select(
    workspace_id: uuid.UUID, filters: ActivityFilters, follower_ids: list[uuid.UUID] | None = None
) -> Select[Any]:
    """Interactions with who made them and on what; the columns of ActivityItem.

    `follower_ids` (the username's followers, looked up first) drive the query from the
    (follower_id, occurred_at) index: with one follower a newest-first page reads just its
    rows, in order, and stops at the page's end. Joining on a username instead leaves the
    planner no ordered path, so it would sort every interaction of a busy follower.
    """
    fi, f = FollowerInteraction, Follower
    stmt: Select[*tuple[Any, ...]] = (
        select(
            fi.id,
            fi.follower_id,
            f.username,
            fi.platform,
            fi.interaction_type,
            fi.interaction_value,
            fi.content_id,
            ContentItem.title.label("content_title"),
            ContentPost.url.label("post_url"),
            fi.occurred_at,
            fi.time_precision,
        )
        .join(f, f.id == fi.follower_id)
        .outerjoin(ContentItem, ContentItem.id == fi.content_id)
        .outerjoin(ContentPost, ContentPost.id == fi.content_post_id)
        .where(f.workspace_id == workspace_id)
    )
    if follower_ids is None and filters.follower_id is None and filters.content_id is None:
        # Only without a follower filter: with one, a predicate on fi.workspace_id tempts the
        # planner to walk the (workspace_id, occurred_at) index hoping to fill the LIMIT soon,
        # instead of the follower's own (follower_id, occurred_at) rows. The follower join
        # scopes the rows to the workspace either way.
        stmt = stmt.where(fi.workspace_id == workspace_id)
    if follower_ids is not None:
        if len(follower_ids) == 1:
            stmt = stmt.where(fi.follower_id == follower_ids[0])
        else:
            stmt = stmt.where(fi.follower_id.in_(follower_ids))
    if filters.follower_id is not None:
        stmt = stmt.where(fi.follower_id == filters.follower_id)
    if filters.content_id is not None:  # the (content_id, occurred_at) index orders these
        stmt = stmt.where(fi.content_id == filters.content_id)
    if filters.platform:
        stmt = stmt.where(fi.platform == filters.platform.lower())
    if filters.interaction_type:
        stmt = stmt.where(fi.interaction_type == filters.interaction_type.lower())
    if filters.since is not None:
        stmt = stmt.where(fi.occurred_at >= filters.since)
    if filters.until is not None:
        stmt = stmt.where(fi.occurred_at < filters.until)
    return stmt


# --- read side: rejected lines (data health) -----------------------------------------------------


def reject_summary(session: Session, workspace_id: uuid.UUID) -> list[Any]:
    """Per source and reason: how many lines were rejected, and when last."""
    r = IngestReject
    return list(
        session.execute(
            select(
                r.source,
                r.reason,
                func.count().label("count"),
                func.max(r.created_at).label("last_at"),
            )
            .where(r.workspace_id == workspace_id)
            .group_by(r.source, r.reason)
            .order_by(func.max(r.created_at).desc(), r.source, r.reason)
        ).all()
    )


def recent_rejects(session: Session, workspace_id: uuid.UUID, limit: int) -> list[IngestReject]:
    return list(
        session.scalars(
            select(IngestReject)
            .where(IngestReject.workspace_id == workspace_id)
            .order_by(IngestReject.created_at.desc(), IngestReject.id)
            .limit(limit)
        )
    )
