from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from fanlens.api.csv import csv_response, wants_csv
from fanlens.api.dependencies import CurrentWorkspace, Session
from fanlens.api.params import (
    DEFAULT_LIMIT,
    NO_NUL,
    Cursor,
    FormatParam,
    Limit,
    Platform,
    SortOrder,
    Text,
    Timestamp,
)
from fanlens.api.schemas import CSV_RESPONSE, Page
from fanlens.interactions import activity
from fanlens.interactions.repository import ActivityFilters
from fanlens.interactions.schemas import ActivityItem

router = APIRouter(tags=["activity"])


@router.get(
    "/activity", response_model=Page[ActivityItem], responses=CSV_RESPONSE, summary="Activity"
)
def list_activity(
    request: Request,
    session: Session,
    principal: CurrentWorkspace,
    username: Text = None,
    platform: Platform = None,
    since: Timestamp = None,
    until: Timestamp = None,
    interaction_type: str | None = Query(
        None,
        alias="type",
        min_length=1,
        max_length=50,
        pattern=NO_NUL,
        description="comment, like, share, save, profile_visit, link_click, …",
    ),
    order: SortOrder = "desc",
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
    fmt: FormatParam = None,
) -> Page[ActivityItem] | StreamingResponse:
    """Interactions, newest first: `username` (with or without '@', any case), `platform`,
    `type`, and `since` (inclusive) / `until` (exclusive) on the interaction time."""
    filters = ActivityFilters(
        username=username,
        platform=platform,
        interaction_type=interaction_type,
        since=since,
        until=until,
    )
    stmt = activity.list_select(
        workspace_id=principal.workspace_id, filters=filters, order=order, cursor=cursor
    )
    if wants_csv(request, fmt):
        items = activity.export(engine=session.get_bind(), stmt=stmt)  # type: ignore[arg-type]
        return csv_response(items, ActivityItem, "activity")
    return activity.page(session=session, stmt=stmt, order=order, limit=limit)
