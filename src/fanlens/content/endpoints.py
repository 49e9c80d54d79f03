from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
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
from fanlens.api.schemas import csv_list_response
from fanlens.auth.service import Principal
from fanlens.content import service
from fanlens.content.repository import ContentFilters
from fanlens.content.schemas import ContentDetail, ContentSort, ContentSummary
from fanlens.kit.pagination import Page

router = APIRouter(prefix="/content", tags=["content"])


FIRST_ITEM = csv_list_response("/content/{content_id}", "The first content item", "content_id")


@router.get("", response_model=Page[ContentSummary], responses=FIRST_ITEM, summary="List content")
@workspace_endpoint
def list_content(
    session: OrmSession,
    principal: Principal,
    request: Request,
    platform: Platform = None,
    tag: Text = None,
    posted_from: Timestamp = None,
    posted_to: Timestamp = None,
    q: Text = None,
    sort: ContentSort = "total_engagement",
    order: SortOrder = "desc",
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
    fmt: FormatParam = None,
) -> Page[ContentSummary] | StreamingResponse:
    """Content items with cross-platform totals. `platform` keeps items posted on that platform;
    `tag` matches a tag value; `posted_from`/`posted_to` bound the first post time
    (from inclusive, to exclusive); `q` searches titles."""
    filters = ContentFilters(
        platform=platform, tag=tag, posted_from=posted_from, posted_to=posted_to, q=q
    )
    query = service.list_query(
        workspace_id=principal.workspace_id,
        filters=filters,
        sort=sort,
        order=order,
        cursor=cursor,
    )
    if wants_csv(request, fmt):
        items = service.export_content(engine=session.get_bind(), query=query)  # type: ignore[arg-type]
        return csv_response(items, ContentSummary, "content")
    return service.list_content(session=session, query=query, limit=limit)


@router.get("/{content_id}", response_model=ContentDetail, summary="One content item")
@workspace_endpoint
def get_content(
    session: OrmSession,
    principal: Principal,
    content_id: uuid.UUID,
) -> ContentDetail:
    """Posts per platform with metrics, the best platform and its rule, interactions per day,
    and the top commenters."""
    return service.get_detail(
        session=session, workspace_id=principal.workspace_id, content_id=content_id
    )
