from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Request
from sqlalchemy.orm import Session as OrmSession

from fanlens.api.dependencies import session_factory_of, workspace_endpoint
from fanlens.api.schemas import BAD_BODY
from fanlens.auth.service import Principal
from fanlens.scoring import service
from fanlens.scoring.schemas import ScoringConfigChange, ScoringConfigOut

router = APIRouter(prefix="/scoring", tags=["scoring"])


@router.get("", response_model=ScoringConfigOut, summary="The workspace's scoring rules")
@workspace_endpoint
def get_scoring(session: OrmSession, principal: Principal) -> ScoringConfigOut:
    """Weights per interaction type, tier thresholds, the recency rule and the config version."""
    return service.get_config(session=session, workspace_id=principal.workspace_id)


@router.put(
    "",
    response_model=ScoringConfigOut,
    summary="Change the scoring rules",
    responses=BAD_BODY,
)
@workspace_endpoint(write=True)
def put_scoring(
    change: ScoringConfigChange,
    request: Request,
    session: OrmSession,
    principal: Principal,
    background: BackgroundTasks,
) -> ScoringConfigOut:
    """Record a new config version (given weights merge in; 0 turns a type off). The workspace
    is rescored under it right after the response, once this change has been committed."""
    config = service.update_config(
        session=session, workspace_id=principal.workspace_id, change=change, rescore=False
    )
    factory = session_factory_of(request)
    background.add_task(service.rescore_in_own_transaction, factory, principal.workspace_id)
    return config
