from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from fanlens.analytics import service
from fanlens.analytics.schemas import CohortRow, Cohorts
from fanlens.api.csv import csv_response, wants_csv
from fanlens.api.dependencies import CurrentWorkspace, Session
from fanlens.api.params import FormatParam, Platform
from fanlens.api.schemas import CSV_RESPONSE

router = APIRouter(tags=["analytics"])


@router.get("/cohorts", response_model=Cohorts, responses=CSV_RESPONSE, summary="Cohorts")
def list_cohorts(
    request: Request,
    session: Session,
    principal: CurrentWorkspace,
    platform: Platform = None,
    since: date | None = Query(None, description="First cohort week to include."),
    fmt: FormatParam = None,
) -> Cohorts | StreamingResponse:
    """Followers grouped by the week they were first seen, per platform: how many, how many
    were active in the last 30 days, and how many are super fans / active / lurkers."""
    if wants_csv(request, fmt):
        items = service.export_cohorts(
            engine=session.get_bind(),  # type: ignore[arg-type]
            workspace_id=principal.workspace_id,
            platform=platform,
            since=since,
        )
        return csv_response(items, CohortRow, "cohorts")
    return service.cohorts(
        session=session, workspace_id=principal.workspace_id, platform=platform, since=since
    )
