from __future__ import annotations

import uuid

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session as OrmSession

from fanlens.api.csv import csv_response, wants_csv
from fanlens.api.dependencies import workspace_endpoint
from fanlens.api.params import (
    DEFAULT_LIMIT,
    Cursor,
    FormatParam,
    Limit,
    Platform,
    SortOrder,
    Text,
    Timestamp,
)
from fanlens.api.schemas import CSV_RESPONSE, csv_list_response
from fanlens.audience import service
from fanlens.audience.repository import FollowerFilters
from fanlens.audience.schemas import (
    FollowerDetail,
    FollowerSort,
    FollowerSummary,
    Leaderboard,
    LeaderboardEntry,
    Tier,
)
from fanlens.auth.service import Principal
from fanlens.kit.pagination import Page

router = APIRouter(prefix="/followers", tags=["followers"])
LEADERBOARD_MAX = 500


FIRST_FOLLOWER = csv_list_response("/followers/{follower_id}", "The first follower", "follower_id")


@router.get(
    "", response_model=Page[FollowerSummary], responses=FIRST_FOLLOWER, summary="List followers"
)
@workspace_endpoint
def list_followers(
    session: OrmSession,
    principal: Principal,
    request: Request,
    platform: Platform = None,
    tier: Tier | None = None,
    min_score: float | None = Query(None, ge=0, le=1e15, allow_inf_nan=False),
    q: Text = None,
    active_since: Timestamp = None,
    sort: FollowerSort = "engagement_score",
    order: SortOrder = "desc",
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
    fmt: FormatParam = None,
) -> Page[FollowerSummary] | StreamingResponse:
    """Followers with their score and counts. `q` searches usernames (a leading '@' is ignored);
    `active_since` keeps followers last seen at or after that time."""
    filters = FollowerFilters(
        platform=platform, tier=tier, min_score=min_score, q=q, active_since=active_since
    )
    if wants_csv(request, fmt):
        query = service.list_query(
            workspace_id=principal.workspace_id,
            filters=filters,
            sort=sort,
            order=order,
            cursor=cursor,
        )
        items = service.export_followers(engine=session.get_bind(), query=query)  # type: ignore[arg-type]
        return csv_response(items, FollowerSummary, "followers")
    return service.list_followers(
        session=session,
        workspace_id=principal.workspace_id,
        filters=filters,
        sort=sort,
        order=order,
        cursor=cursor,
        limit=limit,
    )


@router.get(
    "/leaderboard", response_model=Leaderboard, responses=CSV_RESPONSE, summary="Top followers"
)
@workspace_endpoint
def leaderboard(
    session: OrmSession,
    principal: Principal,
    request: Request,
    platform: Platform = None,
    limit: int = Query(10, ge=1, le=LEADERBOARD_MAX, description="Top N."),
    q: Text = None,
    fmt: FormatParam = None,
) -> Leaderboard | StreamingResponse:
    """The N highest-scoring followers, across platforms or on one; with `q`, among those whose
    username holds it (a leading '@' ignored, any case), as `GET followers` searches."""
    ws = principal.workspace_id
    if wants_csv(request, fmt):
        items = service.export_leaderboard(
            engine=session.get_bind(),  # type: ignore[arg-type]
            workspace_id=ws,
            platform=platform,
            limit=limit,
            q=q,
        )
        return csv_response(items, LeaderboardEntry, "leaderboard")
    return service.leaderboard(
        session=session, workspace_id=ws, platform=platform, limit=limit, q=q
    )


@router.get("/{follower_id}", response_model=FollowerDetail, summary="One follower")
@workspace_endpoint
def get_follower(
    session: OrmSession,
    principal: Principal,
    follower_id: uuid.UUID,
    activity_cursor: Cursor = None,
    activity_limit: Limit = DEFAULT_LIMIT,
) -> FollowerDetail:
    """Profile, score and counts, tier history, the activity timeline (paged with
    `activity_cursor` / `activity_limit`) and their latest comments."""
    return service.get_detail(
        session=session,
        workspace_id=principal.workspace_id,
        follower_id=follower_id,
        activity_cursor=activity_cursor,
        activity_limit=activity_limit,
    )
