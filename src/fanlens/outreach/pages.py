"""The outreach page: campaigns with their counts; one campaign's preview (a draft) or its
recipients' statuses (once sent). Read-only: campaigns are made and sent with the CLI or API."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from fanlens.api.dependencies import Session
from fanlens.kit.errors import NotFound
from fanlens.outreach import repository, service
from fanlens.web.auth import CurrentUser
from fanlens.web.rendering import render

router = APIRouter(include_in_schema=False)
PREVIEW_N = 50


@router.get("/analytics/outreach", response_class=HTMLResponse)
def outreach(
    request: Request,
    session: Session,
    user: CurrentUser,
    campaign: str | None = Query(None, max_length=64),
) -> HTMLResponse:
    ws = user.workspace_id
    campaigns = service.list_campaigns(session=session, workspace_id=ws)
    counts = {c.id: repository.status_counts(session, campaign_id=c.id) for c in campaigns}
    context: dict[str, object] = {
        "user": user,
        "active": "outreach",
        "campaigns": campaigns,
        "counts": counts,
        "segments": service.list_segments(session=session, workspace_id=ws),
        "guards": service.settings_of(session=session, workspace_id=ws),
    }
    if campaign:
        context.update(_detail(session, ws, campaign))
    return render(request, "outreach.html", context)


def _detail(session: Session, ws: uuid.UUID, ref: str) -> dict[str, object]:
    try:
        uuid.UUID(ref)
    except ValueError as exc:
        raise NotFound(f"no campaign {ref!r}") from exc
    chosen = service.get_campaign(session=session, workspace_id=ws, ref=ref)
    if chosen.status == "draft":
        plan = service.plan(session=session, workspace_id=ws, campaign=chosen, limit=PREVIEW_N)
        return {"chosen": chosen, "plan": plan}
    found = service.status(session=session, workspace_id=ws, ref=ref)
    return {"chosen": chosen, "status": found}
