from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import psycopg
from psycopg import sql
from sqlalchemy import ARRAY, DateTime, Select, Text, Uuid, any_, func, select
from sqlalchemy.orm import Session

from fanlens.audience.models import Follower
from fanlens.content.models import ContentItem, ContentPost
from fanlens.interactions import keys
from fanlens.interactions.interchange import KNOWN_TYPES
from fanlens.interactions.models import FollowerInteraction, IngestReject
from fanlens.kit import listing
from fanlens.kit.listing import CursorState
from fanlens.kit.pagination import Order
from fanlens.kit.sql import DriverStatement, ShapedStatement, param

# --- read side: the activity log (API) -------------------------------------------------------


@dataclass(frozen=True)
class ActivityFilters:
    username: str | None = None
    # A person's identities: their rows together, one timeline (`username` is then not asked).
    follower_ids: tuple[uuid.UUID, ...] | None = None
    follower_id: uuid.UUID | None = None
    content_id: uuid.UUID | None = None
    platform: str | None = None
    interaction_type: str | None = None
    since: datetime | None = None
    until: datetime | None = None


_FOLLOWERS_BY_USERNAME = DriverStatement(
    select(Follower.id)
    .where(
        Follower.workspace_id == param("workspace_id", Uuid),
        func.lower(Follower.username) == param("username", Text),
    )
    .order_by(Follower.id)
)


def follower_ids_by_username(
    session: Session, *, workspace_id: uuid.UUID, username: str
) -> list[uuid.UUID]:
    """The followers (one per platform at most) with this username, through the
    (workspace_id, lower(username)) index; '@creator_amy' and 'Creator_Amy' both match."""
    rows = _FOLLOWERS_BY_USERNAME.rows(
        session, workspace_id=workspace_id, username=username.lstrip("@").lower()
    )
    return [row["id"] for row in rows]


@dataclass(frozen=True)
class ActivityShape:
    """Which conditions an activity query has. Their values are parameters, so each shape is
    compiled once (`ACTIVITY`) and every page of the API reuses it."""

    followers: Literal["none", "one", "many"]  # the username's followers, looked up first
    follower_id: bool
    content_id: bool
    platform: bool
    interaction_type: bool
    since: bool
    until: bool
    cursor: CursorState
    order: Order
    paged: bool  # a LIMIT (pages) or every row (CSV exports)

    @classmethod
    def of(
        cls,
        filters: ActivityFilters,
        follower_ids: list[uuid.UUID] | None,
        *,
        order: Order,
        cursor: CursorState,
        paged: bool,
    ) -> ActivityShape:
        followers: Literal["none", "one", "many"] = "none"
        if follower_ids is not None:
            followers = "one" if len(follower_ids) == 1 else "many"
        return cls(
            followers=followers,
            follower_id=filters.follower_id is not None,
            content_id=filters.content_id is not None,
            platform=bool(filters.platform),
            interaction_type=bool(filters.interaction_type),
            since=filters.since is not None,
            until=filters.until is not None,
            cursor=cursor,
            order=order,
            paged=paged,
        )


def activity_params(
    workspace_id: uuid.UUID, filters: ActivityFilters, follower_ids: list[uuid.UUID] | None
) -> dict[str, Any]:
    """The values of an activity statement's parameters (cursor and limit are the caller's)."""
    values: dict[str, Any] = {
        "workspace_id": workspace_id,
        "follower_ids": follower_ids,
        "follower_id": filters.follower_id,
        "content_id": filters.content_id,
        "platform": filters.platform.lower() if filters.platform else None,
        "interaction_type": filters.interaction_type.lower() if filters.interaction_type else None,
        "since": filters.since,
        "until": filters.until,
    }
    if follower_ids is not None and len(follower_ids) == 1:
        values["follower_ids"] = follower_ids[0]
    return {k: v for k, v in values.items() if v is not None}


# occurred_at is NOT NULL: the (follower_id, occurred_at) index orders the timeline.
OCCURRED_AT = listing.Sort("time", DateTime(timezone=True), nullable=False)


def activity_rows() -> Select[*tuple[Any, ...]]:
    """Interactions joined to who made them and on what: the columns of ActivityItem."""
    fi, f = FollowerInteraction, Follower
    return (
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
        .join(f, (f.id == fi.follower_id) & (f.workspace_id == fi.workspace_id))
        .outerjoin(
            ContentItem,
            (ContentItem.id == fi.content_id) & (ContentItem.workspace_id == fi.workspace_id),
        )
        .outerjoin(
            ContentPost,
            (ContentPost.id == fi.content_post_id) & (ContentPost.workspace_id == fi.workspace_id),
        )
    )


def activity_select(shape: ActivityShape) -> Select[Any]:
    """Interactions with who made them and on what (the columns of ActivityItem), newest or
    oldest first, in keyset pages.

    The username's followers (looked up first) drive the query from the (follower_id,
    occurred_at) index: with one follower a newest-first page reads just its rows, in order,
    and stops at the page's end. Joining on a username instead leaves the planner no ordered
    path, so it would sort every interaction of a busy follower.
    """
    fi = FollowerInteraction
    # Every join carries workspace_id, so the workspace filter reaches every table (PostgreSQL
    # derives it). A follower's or item's rows still come ordered from their own
    # (follower_id | content_id, occurred_at) index, the workspace a filter on them (checked
    # on the large world: no shape's plan got slower).
    stmt = activity_rows().where(fi.workspace_id == param("workspace_id", Uuid))
    if shape.followers == "one":
        stmt = stmt.where(fi.follower_id == param("follower_ids", Uuid))
    elif shape.followers == "many":
        stmt = stmt.where(fi.follower_id == any_(param("follower_ids", ARRAY(Uuid))))
    if shape.follower_id:
        stmt = stmt.where(fi.follower_id == param("follower_id", Uuid))
    if shape.content_id:  # the (content_id, occurred_at) index orders these
        stmt = stmt.where(fi.content_id == param("content_id", Uuid))
    if shape.platform:
        stmt = stmt.where(fi.platform == param("platform", Text))
    if shape.interaction_type:
        stmt = stmt.where(fi.interaction_type == param("interaction_type", Text))
    if shape.since or shape.until:
        # A time window asks when fans acted: observed rows carry when fanlens saw them.
        stmt = stmt.where(fi.time_precision == "exact")
    if shape.since:
        stmt = stmt.where(fi.occurred_at >= param("since", DateTime(timezone=True)))
    if shape.until:
        stmt = stmt.where(fi.occurred_at < param("until", DateTime(timezone=True)))
    return listing.keyset_statement(
        stmt, shape, sort_expr=fi.occurred_at, id_expr=fi.id, sort=OCCURRED_AT
    )


ACTIVITY = ShapedStatement(activity_select, cache=512)


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


# --- read side: the live view ---------------------------------------------------------------------

_LIVE_ROWS = DriverStatement(
    activity_rows()
    .where(
        FollowerInteraction.workspace_id == param("workspace_id", Uuid),
        FollowerInteraction.id == any_(param("ids", ARRAY(Uuid))),
    )
    .order_by(FollowerInteraction.occurred_at, FollowerInteraction.id)
)


def live_rows(
    session: Session, *, workspace_id: uuid.UUID, ids: list[uuid.UUID]
) -> list[dict[str, Any]]:
    """The named interactions of the workspace (the columns of ActivityItem), oldest first;
    an id of another workspace is not among them."""
    return list(_LIVE_ROWS.rows(session, workspace_id=workspace_id, ids=ids))


async def listen(conninfo: str, channel: str) -> psycopg.AsyncConnection[Any]:
    """A connection of its own (not the pool's), in autocommit, listening on `channel`."""
    conn = await psycopg.AsyncConnection.connect(conninfo, autocommit=True)
    await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
    return conn


def types_by_external_id(
    session: Session, workspace_id: uuid.UUID, platform: str, external_ids: list[str]
) -> dict[str, str]:
    """The stored interaction type of each of these platform ids that is stored. Read through
    the unique (workspace_id, platform, dedup_key) index: the key of an interaction with a
    platform id is its type and that id, so each id has one candidate key per known type."""
    candidates = {
        keys.dedup_key(
            interaction_type=kind,
            external_id=external_id,
            external_post_id=None,
            external_user_id="",
            occurred_at=None,
        ): (external_id, kind)
        for external_id in external_ids
        for kind in KNOWN_TYPES
    }
    rows = session.scalars(
        select(FollowerInteraction.dedup_key).where(
            FollowerInteraction.workspace_id == workspace_id,
            FollowerInteraction.platform == platform,
            FollowerInteraction.dedup_key.in_(list(candidates)),
        )
    )
    return dict(candidates[key] for key in rows)


@dataclass(frozen=True)
class FanInteraction:
    """A stored interaction of a known fan, as a platform's delete of it is matched."""

    external_user_id: str
    interaction_type: str
    external_id: str | None
    external_post_id: str | None
    occurred_at: datetime
    time_precision: str
    dedup_key: uuid.UUID


def of_fans(
    session: Session,
    workspace_id: uuid.UUID,
    platform: str,
    external_user_ids: list[str],
    types: list[str],
) -> list[FanInteraction]:
    """The stored interactions of these types by these platform users (the fans' rows only:
    read through the followers' unique key and the follower_id index)."""
    query = (
        select(
            Follower.external_user_id,
            FollowerInteraction.interaction_type,
            FollowerInteraction.external_id,
            ContentPost.external_post_id,
            FollowerInteraction.occurred_at,
            FollowerInteraction.time_precision,
            FollowerInteraction.dedup_key,
        )
        .join(
            Follower,
            (Follower.id == FollowerInteraction.follower_id)
            & (Follower.workspace_id == FollowerInteraction.workspace_id),
        )
        .outerjoin(
            ContentPost,
            (ContentPost.id == FollowerInteraction.content_post_id)
            & (ContentPost.workspace_id == FollowerInteraction.workspace_id),
        )
        .where(
            Follower.workspace_id == workspace_id,
            Follower.platform == platform,
            Follower.external_user_id.in_(external_user_ids),
            FollowerInteraction.workspace_id == workspace_id,
            FollowerInteraction.interaction_type.in_(types),
        )
    )
    return [FanInteraction(*row) for row in session.execute(query)]
