"""`/outreach`: segments, campaigns (preview, dry run, send, status, audit), opt-outs,
addresses and guards. Sending writes the outbox in the request's transaction; the delivery job
is queued after that commit (a background task runs after the response)."""

from __future__ import annotations

import io
import uuid
from typing import Any, Literal

from fastapi import APIRouter, BackgroundTasks, Query, Request, Response
from sqlalchemy.orm import Session as OrmSession

from fanlens.api.dependencies import workspace_endpoint
from fanlens.api.schemas import BAD_BODY, error_response, link
from fanlens.auth.service import Principal
from fanlens.kit.csv_cells import write_rows
from fanlens.outreach import export, repository, service
from fanlens.outreach.schemas import (
    AddressIn,
    CampaignIn,
    CampaignOut,
    CampaignStatus,
    EventOut,
    OptOutIn,
    Plan,
    SegmentIn,
    SegmentOut,
    SendIn,
    SettingsIn,
    SettingsOut,
)

router = APIRouter(prefix="/outreach", tags=["outreach"])
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: error_response("It exists already, or was already sent")
}
RecipientStatus = Literal["queued", "sending", "sent", "failed", "skipped"]
_ONE = "/outreach/campaigns/{campaign_id}"
_CREATED = {"campaign_id": "$response.body#/id"}
CAMPAIGN_LINKS: dict[int | str, dict[str, Any]] = {
    201: {
        "description": "The draft",
        "links": {
            "status": link(_ONE, "get", "Its status", **_CREATED),
            "preview": link(_ONE + "/preview", "get", "Its preview", **_CREATED),
            "dry_run": link(_ONE + "/dry-run", "get", "Its dry run", **_CREATED),
            "send": link(_ONE + "/send", "post", "Send it", **_CREATED),
            "events": link(_ONE + "/events", "get", "Its audit log", **_CREATED),
            "export": link(_ONE + "/export.csv", "get", "Its messages as CSV", **_CREATED),
        },
    }
}


@router.get("/segments", response_model=list[SegmentOut], summary="Segments")
@workspace_endpoint
def list_segments(session: OrmSession, principal: Principal) -> list[SegmentOut]:
    rows = service.list_segments(session=session, workspace_id=principal.workspace_id)
    return [SegmentOut.model_validate(r) for r in rows]


@router.post(
    "/segments", response_model=SegmentOut, status_code=201, summary="Save a segment",
    responses={**BAD_BODY, **CONFLICT},
)  # fmt: skip
@workspace_endpoint(write=True)
def create_segment(body: SegmentIn, session: OrmSession, principal: Principal) -> SegmentOut:
    row = service.create_segment(session=session, workspace_id=principal.workspace_id, data=body)
    return SegmentOut.model_validate(row)


@router.get("/campaigns", response_model=list[CampaignOut], summary="Campaigns")
@workspace_endpoint
def list_campaigns(session: OrmSession, principal: Principal) -> list[CampaignOut]:
    rows = service.list_campaigns(session=session, workspace_id=principal.workspace_id)
    return [CampaignOut.model_validate(r) for r in rows]


@router.post(
    "/campaigns", response_model=CampaignOut, status_code=201, summary="Draft a campaign",
    responses={**BAD_BODY, **CONFLICT, **CAMPAIGN_LINKS},
)  # fmt: skip
@workspace_endpoint(write=True)
def create_campaign(body: CampaignIn, session: OrmSession, principal: Principal) -> CampaignOut:
    """The template is rendered against sample variables first: errors are a 422."""
    row = service.create_campaign(session=session, workspace_id=principal.workspace_id, data=body)
    return CampaignOut.model_validate(row)


@router.get("/campaigns/{campaign_id}/preview", response_model=Plan, summary="Preview")
@workspace_endpoint
def preview(
    campaign_id: uuid.UUID,
    session: OrmSession,
    principal: Principal,
    limit: int = Query(10, ge=1, le=1000),
) -> Plan:
    """The first messages as they would be sent and the first people left out, with why."""
    return _plan(session, principal.workspace_id, campaign_id, limit)


@router.get("/campaigns/{campaign_id}/dry-run", response_model=Plan, summary="Dry run")
@workspace_endpoint
def dry_run(campaign_id: uuid.UUID, session: OrmSession, principal: Principal) -> Plan:
    """Every message and every person left out with the reason; nothing is sent or stored."""
    return _plan(session, principal.workspace_id, campaign_id, None)


def _plan(session: OrmSession, ws: uuid.UUID, campaign_id: uuid.UUID, limit: int | None) -> Plan:
    campaign = service.get_campaign(session=session, workspace_id=ws, ref=str(campaign_id))
    return service.plan(session=session, workspace_id=ws, campaign=campaign, limit=limit)


@router.post(
    "/campaigns/{campaign_id}/send", response_model=CampaignStatus, status_code=202,
    summary="Send now or at a time", responses={**BAD_BODY, **CONFLICT},
)  # fmt: skip
@workspace_endpoint(write=True)
def send(
    campaign_id: uuid.UUID,
    body: SendIn,
    request: Request,
    session: OrmSession,
    principal: Principal,
    background: BackgroundTasks,
) -> CampaignStatus:
    """Writes the outbox (queued and skipped recipients); a worker delivers. 409 when the
    campaign was already sent or scheduled."""
    from fanlens.outreach.delivery import enqueue

    ws = principal.workspace_id
    campaign = service.schedule(session=session, workspace_id=ws, ref=str(campaign_id), at=body.at)
    background.add_task(enqueue, campaign.id, at=body.at, engine=request.app.state.engine)
    return service.status(session=session, workspace_id=ws, ref=str(campaign.id))


@router.get("/campaigns/{campaign_id}", response_model=CampaignStatus, summary="Status")
@workspace_endpoint
def campaign_status(
    campaign_id: uuid.UUID,
    session: OrmSession,
    principal: Principal,
    status: RecipientStatus | None = None,
) -> CampaignStatus:
    """Counts per status and every recipient (queued, sending, sent, failed, skipped: why)."""
    return service.status(
        session=session, workspace_id=principal.workspace_id, ref=str(campaign_id),
        recipient_status=status,
    )  # fmt: skip


@router.get("/campaigns/{campaign_id}/events", response_model=list[EventOut], summary="Audit log")
@workspace_endpoint
def campaign_events(
    campaign_id: uuid.UUID,
    session: OrmSession,
    principal: Principal,
    limit: int = Query(1000, ge=1, le=100_000),
) -> list[EventOut]:
    campaign = service.get_campaign(
        session=session, workspace_id=principal.workspace_id, ref=str(campaign_id)
    )
    rows = repository.events(session, campaign_id=campaign.id, limit=limit)
    return [EventOut.model_validate(e) for e in rows]


@router.get(
    "/campaigns/{campaign_id}/export.csv", summary="CSV export",
    response_class=Response, responses={200: {"content": {"text/csv": {}}}},
)  # fmt: skip
@workspace_endpoint
def campaign_export(campaign_id: uuid.UUID, session: OrmSession, principal: Principal) -> Response:
    """The campaign's messages as CSV, for sending by hand."""
    rows = export.rows(session=session, workspace_id=principal.workspace_id, ref=str(campaign_id))
    out = io.StringIO()
    write_rows(out, export.FIELDS, rows)  # cells escaped against formula injection
    return Response(out.getvalue(), media_type="text/csv")


@router.post(
    "/opt-outs", status_code=204, summary="Do not contact", responses={**BAD_BODY, **CONFLICT}
)
@workspace_endpoint(write=True)
def create_opt_out(body: OptOutIn, session: OrmSession, principal: Principal) -> None:
    service.opt_out(
        session=session, workspace_id=principal.workspace_id, person_id=body.person_id,
        channel=body.channel, reason=body.reason, by=f"token:{principal.token_id}",
    )  # fmt: skip


@router.put(
    "/addresses", status_code=204, summary="Set an e-mail address by hand", responses=BAD_BODY
)
@workspace_endpoint(write=True)
def set_address(body: AddressIn, session: OrmSession, principal: Principal) -> None:
    service.set_address(
        session=session, workspace_id=principal.workspace_id, person_id=body.person_id,
        email=body.email,
    )  # fmt: skip


@router.get("/settings", response_model=SettingsOut, summary="Guards")
@workspace_endpoint
def get_settings(session: OrmSession, principal: Principal) -> SettingsOut:
    row = service.settings_of(session=session, workspace_id=principal.workspace_id)
    return SettingsOut.model_validate(row)


@router.patch(
    "/settings", response_model=SettingsOut, summary="Change the guards", responses=BAD_BODY
)
@workspace_endpoint(write=True)
def patch_settings(body: SettingsIn, session: OrmSession, principal: Principal) -> SettingsOut:
    row = service.update_settings(
        session=session, workspace_id=principal.workspace_id, changes=body
    )
    return SettingsOut.model_validate(row)
