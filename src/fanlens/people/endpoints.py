from __future__ import annotations

import uuid
from typing import Any, Literal

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session as OrmSession

from fanlens.api.dependencies import workspace_endpoint
from fanlens.api.schemas import BAD_BODY, error_response
from fanlens.auth.service import Principal
from fanlens.people import service
from fanlens.people.schemas import (
    Merge,
    MergeRequest,
    PersonDetail,
    PersonLeaderboard,
    Suggestion,
    SuggestionDecision,
    SuggestionRun,
)

router = APIRouter(prefix="/people", tags=["people"])
CONFLICT: dict[int | str, dict[str, Any]] = {409: error_response("The state does not allow it")}
SuggestionStatus = Literal["pending", "merged", "rejected"]


@router.get("", response_model=PersonLeaderboard, summary="Top people across platforms")
@workspace_endpoint
def people_leaderboard(
    session: OrmSession,
    principal: Principal,
    limit: int = Query(10, ge=1, le=500, description="Top N."),
    influential: bool = Query(False, description="Only people with a micro+ reach identity."),
) -> PersonLeaderboard:
    """People ranked by the combined score of all their platform identities."""
    ws = principal.workspace_id
    if influential:
        items = service.influential(session=session, workspace_id=ws, limit=limit)
    else:
        items = service.leaderboard(session=session, workspace_id=ws, limit=limit)
    return PersonLeaderboard(items=items)


@router.get("/suggestions", response_model=list[Suggestion], summary="Merge suggestions")
@workspace_endpoint
def list_suggestions(
    session: OrmSession,
    principal: Principal,
    status: SuggestionStatus | None = "pending",
    limit: int = Query(100, ge=1, le=1000),
) -> list[Suggestion]:
    """Pairs of identities that may be one person, with the confidence and the evidence."""
    return service.suggestions(
        session=session, workspace_id=principal.workspace_id, status=status, limit=limit
    )


@router.post("/suggestions/refresh", response_model=SuggestionRun, summary="Find suggestions")
@workspace_endpoint(write=True)
def refresh_suggestions(session: OrmSession, principal: Principal) -> SuggestionRun:
    """Look for evidence now; suggestions above the auto-merge threshold merge at once."""
    return service.refresh_suggestions(session=session, workspace_id=principal.workspace_id)


@router.post("/suggestions/{suggestion_id}", response_model=Suggestion, summary="Accept or reject")
@workspace_endpoint(write=True)
def decide_suggestion(
    suggestion_id: uuid.UUID, body: SuggestionDecision, session: OrmSession, principal: Principal
) -> Suggestion:
    return service.decide(
        session=session,
        workspace_id=principal.workspace_id,
        suggestion_id=suggestion_id,
        accept=body.decision == "accept",
        decided_by=f"token:{principal.token_id}",
    )


@router.post(
    "/merges",
    response_model=Merge,
    status_code=201,
    summary="Merge two people",
    responses={**BAD_BODY, **CONFLICT},
)
@workspace_endpoint(write=True)
def merge_people(body: MergeRequest, session: OrmSession, principal: Principal) -> Merge:
    """Move every identity of the source person to the target person (recorded, undoable)."""
    record = service.merge(
        session=session,
        workspace_id=principal.workspace_id,
        target_person_id=body.target_person_id,
        source_person_id=body.source_person_id,
        merged_by=f"token:{principal.token_id}",
    )
    return Merge.model_validate(record)


@router.post("/merges/{merge_id}/undo", response_model=Merge, summary="Unmerge", responses=CONFLICT)
@workspace_endpoint(write=True)
def unmerge_people(merge_id: uuid.UUID, session: OrmSession, principal: Principal) -> Merge:
    """Undo a merge: the source person and their identities come back exactly as before."""
    record = service.unmerge(
        session=session,
        workspace_id=principal.workspace_id,
        merge_id=merge_id,
        unmerged_by=f"token:{principal.token_id}",
    )
    return Merge.model_validate(record)


@router.get("/{person_id}", response_model=PersonDetail, summary="One person")
@workspace_endpoint
def get_person(
    person_id: uuid.UUID,
    session: OrmSession,
    principal: Principal,
    timeline_limit: int = Query(50, ge=1, le=500),
) -> PersonDetail:
    """Identities with reach tiers, combined score, suggestions, merge history, timeline."""
    return service.detail(
        session=session,
        workspace_id=principal.workspace_id,
        person_id=person_id,
        timeline_limit=timeline_limit,
    )
