from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from typing import Any, Literal

from sqlalchemy import Engine, Row
from sqlalchemy.orm import Session

from fanlens.audience import repository
from fanlens.audience.models import Follower
from fanlens.audience.repository import FollowerFilters, FollowerShape
from fanlens.audience.schemas import (
    FollowerDetail,
    FollowerProfile,
    FollowerScore,
    FollowerSort,
    FollowerSummary,
    Leaderboard,
    LeaderboardEntry,
)
from fanlens.interactions import activity
from fanlens.interactions.repository import ActivityFilters
from fanlens.interactions.schemas import ActivityItem
from fanlens.kit import listing
from fanlens.kit.errors import NotFound
from fanlens.kit.pagination import Order, Page
from fanlens.scoring import service as scoring_service


def get_or_raise(*, session: Session, workspace_id: uuid.UUID, follower_id: uuid.UUID) -> Follower:
    follower = repository.get(session, workspace_id=workspace_id, follower_id=follower_id)
    if follower is None:
        raise NotFound(f"no follower {follower_id} in this workspace")
    return follower


# --- read side (API) -------------------------------------------------------------------------


def list_query(
    *,
    workspace_id: uuid.UUID,
    filters: FollowerFilters,
    sort: FollowerSort,
    order: Order,
    cursor: str | None,
) -> listing.ListQuery[FollowerShape]:
    state, position = listing.cursor_params(cursor, sort, repository.SORTS[sort], order)
    shape = FollowerShape.of(filters, sort=sort, order=order, cursor=state, part="all", paged=True)
    return listing.ListQuery(
        shape, repository.follower_list_params(workspace_id, filters) | position
    )


def list_followers(
    *,
    session: Session,
    workspace_id: uuid.UUID,
    filters: FollowerFilters,
    sort: FollowerSort,
    order: Order,
    cursor: str | None,
    limit: int,
) -> Page[FollowerSummary]:
    """One page of followers. By score (the default), followers with a positive score are read
    off the score index, and the rest (a zero score, or no score row yet) only when the page
    reaches them: sorting the whole workspace on coalesce(score, 0) cost 150 ms on the medium
    world for the first page."""
    query = list_query(
        workspace_id=workspace_id, filters=filters, sort=sort, order=order, cursor=cursor
    )
    parts: list[Literal["all", "positive", "rest"]] = ["all"]
    if sort == "engagement_score":
        parts = ["positive", "rest"] if order == "desc" else ["rest", "positive"]
    rows: list[dict[str, Any]] = []
    for part in parts:  # the second part runs only when the first does not fill the page
        shape = dataclasses.replace(query.shape, part=part)
        rows += repository.FOLLOWER_LIST.page(
            session, shape, query.params, limit=limit + 1 - len(rows)
        )
        if len(rows) > limit:
            break
    items, next_cursor = listing.page_of_dicts(
        rows, limit=limit, sort=sort, order=order, item=FollowerSummary
    )
    return Page[FollowerSummary](items=items, next_cursor=next_cursor)


def export_followers(
    *, engine: Engine, query: listing.ListQuery[FollowerShape]
) -> Iterator[FollowerSummary]:
    """Every matching follower (a CSV export): the unpaged statement of the same shape."""
    unpaged = dataclasses.replace(query.shape, part="all", paged=False)
    rows = repository.FOLLOWER_LIST.stream(engine, unpaged, query.params)
    return listing.items_of(rows, FollowerSummary)


def _entry(row: Row[Any]) -> LeaderboardEntry:
    return LeaderboardEntry.model_validate(row._asdict())


def leaderboard(
    *,
    session: Session,
    workspace_id: uuid.UUID,
    platform: str | None,
    limit: int,
    q: str | None = None,
) -> Leaderboard:
    """The `limit` highest-scoring followers, on `platform` and with `q` in their username when
    given; ranks count the followers that match."""
    rows = repository.leaderboard_rows(session, workspace_id, platform, limit, q)
    return Leaderboard.model_validate({"items": rows})


def export_leaderboard(
    *,
    engine: Engine,
    workspace_id: uuid.UUID,
    platform: str | None,
    limit: int,
    q: str | None = None,
) -> Iterator[LeaderboardEntry]:
    rows = repository.stream_leaderboard(engine, workspace_id, platform, limit, q)
    return (_entry(r) for r in rows)


def get_detail(
    *,
    session: Session,
    workspace_id: uuid.UUID,
    follower_id: uuid.UUID,
    activity_cursor: str | None,
    activity_limit: int,
) -> FollowerDetail:
    head = repository.detail_head(session, workspace_id=workspace_id, follower_id=follower_id)
    if head is None:
        raise NotFound(f"no follower {follower_id} in this workspace")
    if head.config is None:
        raise NotFound(f"workspace {workspace_id} has no scoring config")
    follower, score = head.follower, head.score
    timeline = activity.query(
        session=session,
        workspace_id=workspace_id,
        filters=ActivityFilters(follower_id=follower_id),
        order="desc",
        cursor=activity_cursor,
    )
    page = activity.page(session=session, query=timeline, order="desc", limit=activity_limit)
    return FollowerDetail(
        profile=FollowerProfile.model_validate(
            {**follower, "seen_by": repository.seen_by(session, follower_id=follower_id)}
        ),
        score=FollowerScore.model_validate(score) if score else None,
        score_explanation=scoring_service.explain_loaded(
            session=session,
            follower=scoring_service.Subject(
                follower_id, workspace_id, follower["username"], follower["platform"]
            ),
            rules=scoring_service.config_out(head.config),
            stored_score=score["engagement_score"] if score else None,
            computed_at=score["computed_at"] if score else None,
        ),
        tier_history=scoring_service.tier_history(
            session=session, workspace_id=workspace_id, follower_id=follower_id
        ),
        activity=page,
        comments=_latest_comments(
            session, workspace_id, follower_id, page if activity_cursor is None else None
        ),
    )


LATEST_COMMENTS = 20


def _latest_comments(
    session: Session,
    workspace_id: uuid.UUID,
    follower_id: uuid.UUID,
    first_page: Page[ActivityItem] | None,
) -> list[ActivityItem]:
    """The follower's newest comments. The timeline's first page is in the same order, so
    when it holds enough comments, or all of the follower's activity, they are read off it
    (most followers: one statement less per detail)."""
    if first_page is not None:
        comments = [i for i in first_page.items if i.interaction_type == "comment"]
        if len(comments) >= LATEST_COMMENTS or first_page.next_cursor is None:
            return comments[:LATEST_COMMENTS]
    return activity.newest(
        session=session,
        workspace_id=workspace_id,
        filters=ActivityFilters(follower_id=follower_id, interaction_type="comment"),
        limit=LATEST_COMMENTS,
    ).items
