from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from fanlens.analytics import service
from fanlens.analytics.schemas import CohortRow, Cohorts, Overview
from fanlens.api.csv import csv_response, wants_csv
from fanlens.api.dependencies import CurrentWorkspace, Session
from fanlens.api.params import FormatParam, Platform
from fanlens.api.schemas import CSV_RESPONSE
from fanlens.connectors import service as connector_service
from fanlens.connectors.schemas import SyncHealth

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


@router.get("/overview", response_model=Overview, summary="Overview")
def get_overview(session: Session, principal: CurrentWorkspace) -> Overview:
    """Totals per platform and over all platforms, interactions per week and platform (the
    last 12 weeks of data), and followers per tier: the dashboard's overview numbers."""
    return service.overview(session=session, workspace_id=principal.workspace_id)


@router.get("/sync-health", response_model=SyncHealth, summary="Data health")
def get_sync_health(session: Session, principal: CurrentWorkspace) -> SyncHealth:
    """Connected accounts with their last sync and each stream's last stored page, the latest
    sync runs (items, API calls, quota used, errors) and rejected lines per source and reason."""
    return connector_service.health(session=session, workspace_id=principal.workspace_id)
