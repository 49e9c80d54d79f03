from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Header, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session as OrmSession

from fanlens.api.csv import csv_response, wants_csv
from fanlens.api.dependencies import BearerToken, in_one_hop, live_hub, workspace_endpoint
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
from fanlens.api.schemas import CSV_RESPONSE, error_response
from fanlens.auth.service import Principal
from fanlens.interactions import activity, live
from fanlens.interactions.ingest import IngestSummary
from fanlens.interactions.repository import ActivityFilters
from fanlens.interactions.schemas import ActivityItem, IngestResult, RejectedLine
from fanlens.interactions.service import ingest_body
from fanlens.kit.errors import PayloadTooLarge
from fanlens.kit.pagination import Page

router = APIRouter(tags=["activity"])


ACTIVITY_RESPONSES = {
    **CSV_RESPONSE,
    404: error_response("No follower in this workspace has the `username` asked for"),
}


@router.get(
    "/activity", response_model=Page[ActivityItem], responses=ACTIVITY_RESPONSES, summary="Activity"
)
@workspace_endpoint
def list_activity(
    session: OrmSession,
    principal: Principal,
    request: Request,
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
    `type`, and `since` (inclusive) / `until` (exclusive) on the interaction time. A
    `username` that no follower of the workspace holds answers 404 (`not_found`)."""
    filters = ActivityFilters(
        username=username,
        platform=platform,
        interaction_type=interaction_type,
        since=since,
        until=until,
    )
    query = activity.query(
        session=session,
        workspace_id=principal.workspace_id,
        filters=filters,
        order=order,
        cursor=cursor,
    )
    if wants_csv(request, fmt):
        items = activity.export(engine=session.get_bind(), query=query)  # type: ignore[arg-type]
        return csv_response(items, ActivityItem, "activity")
    return activity.page(session=session, query=query, order=order, limit=limit)


MAX_INGEST_BYTES = 16 * 1024 * 1024
LISTED = ("rejected", "rejects")
INGEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"type": "array", "items": {"type": "object"}},
            },
            # JSON lines are accepted under any other type (application/x-ndjson, …); the
            # document names the one every client generator can send as raw bytes.
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


@router.post(
    "/ingest",
    response_model=IngestResult,
    summary="Ingest interchange records",
    openapi_extra=INGEST_BODY,
    responses={413: error_response("Body over 16 MiB")},
)
async def ingest(
    request: Request, credentials: BearerToken, background: BackgroundTasks
) -> IngestResult:
    """Interchange-format v1 records, as a JSON array (`Content-Type: application/json`) or
    JSON lines (any other type). One call is one batch in one transaction: every good line is
    stored, and every bad one (including a line the database itself refuses) is rejected with
    its line number and reason. New and edited comments are queued for sentiment analysis once
    the batch has committed."""
    body = await request.body()
    if len(body) > MAX_INGEST_BYTES:
        raise PayloadTooLarge(f"body is {len(body)} bytes; at most {MAX_INGEST_BYTES} per call")
    as_array = "json" in request.headers.get("content-type", "") and body.lstrip()[:1] == b"["

    def work(session: OrmSession, principal: Principal) -> tuple[uuid.UUID, IngestSummary]:
        ws = principal.workspace_id
        return ws, ingest_body(session=session, workspace_id=ws, body=body, as_array=as_array)

    workspace_id, summary = await in_one_hop(request, credentials, work, write=True)
    if summary.interactions_inserted or summary.interactions_edited:  # after the commit
        from fanlens.sentiment.runner import defer_analysis

        engine = request.app.state.engine  # None: the configured database
        background.add_task(defer_analysis, workspace_id, engine=engine)
    if summary.followers_created or summary.followers_updated:
        from fanlens.people.refresh import defer_refresh

        background.add_task(defer_refresh, workspace_id, engine=request.app.state.engine)
    counts = {k: getattr(summary, k) for k in IngestResult.model_fields if k not in LISTED}
    rejects = [
        RejectedLine(line=r.line, reason=r.reason, message=r.message) for r in summary.rejects
    ]
    return IngestResult(**counts, rejected=dict(summary.rejected), rejects=rejects)


LIVE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Server-sent events: `interaction` (one stored interaction, its id as the "
        "event id), `many` (a bulk batch: `count`), `gap` (what followed `Last-Event-ID` is no "
        "longer kept); comment lines as heartbeats.",
        "content": {
            "text/event-stream": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "event": {"enum": ["interaction", "many", "gap"]},
                        "data": {"type": "string", "description": "a JSON object"},
                        "retry": {"type": "integer"},
                    },
                }
            }
        },
    }
}
LastEventId = Annotated[
    str | None,
    Header(
        max_length=100,
        pattern=NO_NUL,
        description="The last event id received: the stream starts with the events after it.",
    ),
]
MaxSeconds = Annotated[
    float | None,
    Query(gt=0, le=86400, description="End the stream after this many seconds (default: never)."),
]


@router.get(
    "/live",
    response_class=StreamingResponse,
    responses=LIVE_RESPONSES,
    summary="Live interactions (server-sent events)",
)
async def live_events(
    request: Request,
    credentials: BearerToken,
    last_event_id: LastEventId = None,
    max_seconds: MaxSeconds = None,
) -> StreamingResponse:
    """Each interaction stored in the token's workspace, as it is committed, by any way in
    (import, `POST ingest`, a sync, a live source). The stream holds no database connection;
    a client that reconnects with `Last-Event-ID` gets the events it missed (the last
    200 of the workspace)."""

    def workspace(session: OrmSession, principal: Principal) -> uuid.UUID:
        return principal.workspace_id

    workspace_id = await in_one_hop(request, credentials, workspace)
    return await live_response(live_hub(request), workspace_id, last_event_id, max_seconds)


async def live_response(
    hub: live.Hub, workspace_id: uuid.UUID, last_event_id: str | None, max_seconds: float | None
) -> StreamingResponse:
    sub = await hub.subscribe(workspace_id, last_event_id)
    return StreamingResponse(
        live.stream(sub, hub, max_seconds=max_seconds),
        media_type="text/event-stream",
        # no-transform and X-Accel-Buffering: proxies pass each event on at once
        headers={"Cache-Control": "no-cache, no-transform", "X-Accel-Buffering": "no"},
    )
