from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import StringConstraints
from sqlalchemy.orm import Session as OrmSession

from fanlens.analytics import insights, retention, service
from fanlens.analytics.schemas import (
    BestPlatform,
    BestTime,
    BestTimeCell,
    CohortRow,
    Cohorts,
    Grain,
    Overview,
    RetentionCsvRow,
    RetentionMatrix,
    RetentionMode,
    RetentionPeople,
    SearchTiers,
    TierMoveCsvRow,
    TierMovement,
)
from fanlens.api.csv import csv_response, wants_csv
from fanlens.api.dependencies import workspace_endpoint
from fanlens.api.params import NO_NUL, FormatParam, Platform, Text
from fanlens.api.schemas import BAD_BODY, CSV_RESPONSE, error_response
from fanlens.auth.service import Principal
from fanlens.connectors import service as connector_service
from fanlens.connectors.schemas import SyncHealth
from fanlens.content import link_batch, linking
from fanlens.content.schemas import (
    BulkLinkIn,
    BulkLinkOut,
    BulkUnlinkIn,
    BulkUnlinkOut,
    LinkDecisionIn,
    LinkDecisionOut,
    LinkDecisions,
    LinkSuggestions,
)
from fanlens.kit.bounds import Day

router = APIRouter(tags=["analytics"])


@router.get("/cohorts", response_model=Cohorts, responses=CSV_RESPONSE, summary="Cohorts")
@workspace_endpoint
def list_cohorts(
    request: Request,
    session: OrmSession,
    principal: Principal,
    platform: Platform = None,
    since: Day | None = Query(None, description="First cohort week to include."),
    include_time_unknown: bool = Query(
        False,
        description="Add a row per platform (cohort_week null) for followers known only from "
        "observed-time interactions, whose first week is unknown.",
    ),
    fmt: FormatParam = None,
) -> Cohorts | StreamingResponse:
    """Followers grouped by the week of their first exact-time interaction, per platform: how
    many, how many were active in the last 30 days, and how many are super fans / active /
    lurkers. Followers known only from observed-time interactions are in no week (see
    include_time_unknown)."""
    if wants_csv(request, fmt):
        items = service.export_cohorts(
            engine=session.get_bind(),  # type: ignore[arg-type]
            workspace_id=principal.workspace_id,
            platform=platform,
            since=since,
            include_time_unknown=include_time_unknown,
        )
        return csv_response(items, CohortRow, "cohorts")
    return service.cohorts(
        session=session,
        workspace_id=principal.workspace_id,
        platform=platform,
        since=since,
        include_time_unknown=include_time_unknown,
    )


@router.get("/overview", response_model=Overview, summary="Overview")
@workspace_endpoint
def get_overview(session: OrmSession, principal: Principal) -> Overview:
    """Totals per platform and over all platforms, interactions per week and platform (the
    last 12 weeks of data), and followers per tier: the dashboard's overview numbers."""
    return service.overview(session=session, workspace_id=principal.workspace_id)


@router.get("/sync-health", response_model=SyncHealth, summary="Data health")
@workspace_endpoint
def get_sync_health(session: OrmSession, principal: Principal) -> SyncHealth:
    """Connected accounts with their last sync and each stream's last stored page, the latest
    sync runs (items, API calls, quota used, errors) and rejected lines per source and reason."""
    return connector_service.health(session=session, workspace_id=principal.workspace_id)


Types = Annotated[
    list[Annotated[str, StringConstraints(min_length=1, max_length=50, pattern=NO_NUL)]] | None,
    Query(max_length=20, description="Interaction types that count as a return (default: any)."),
]
FirstTouch = Annotated[
    uuid.UUID | None,
    Query(description="Only followers first brought in by this content item (first touch)."),
]
GrainParam = Annotated[Grain, Query(description="Cohort and period length.")]
AsOf = Annotated[
    Day | None,
    Query(
        description="The day the answer is for (default today): its period is the current one, "
        "and only what happened by the end of that day counts."
    ),
]
ModeParam = Annotated[
    RetentionMode, Query(description="on = active in period N; on_or_after = in N or later.")
]


@router.get(
    "/retention", response_model=RetentionMatrix, responses=CSV_RESPONSE, summary="Retention"
)
@workspace_endpoint
def get_retention(
    request: Request,
    session: OrmSession,
    principal: Principal,
    platform: Platform = None,
    grain: GrainParam = "week",
    mode: ModeParam = "on",
    periods: int = Query(12, ge=1, le=retention.MAX_PERIODS, description="Cohorts shown."),
    types: Types = None,
    first_touch_content_id: FirstTouch = None,
    as_of: AsOf = None,
    fmt: FormatParam = None,
) -> RetentionMatrix | StreamingResponse:
    """Followers grouped by the week or month they were first seen; per period N after it, how
    many came back (any interaction, or the chosen types). The current period is flagged
    incomplete; the mean row weighs each cohort by its size."""
    result = retention.matrix(
        session=session,
        workspace_id=principal.workspace_id,
        grain=grain,
        mode=mode,
        periods=periods,
        platform=platform,
        types=types,
        first_touch_content_id=first_touch_content_id,
        as_of=as_of,
    )
    if wants_csv(request, fmt):
        return csv_response(retention.csv_rows(result), RetentionCsvRow, "retention")
    return result


@router.get("/retention/people", response_model=RetentionPeople, summary="Retention cell")
@workspace_endpoint
def get_retention_people(
    session: OrmSession,
    principal: Principal,
    cohort: Day | None = Query(
        None, description="A day in the cohort's first-seen week or month (default today)."
    ),
    period: int = Query(0, ge=0, le=retention.MAX_PERIODS),
    platform: Platform = None,
    grain: GrainParam = "week",
    mode: ModeParam = "on",
    types: Types = None,
    first_touch_content_id: FirstTouch = None,
    as_of: AsOf = None,
    limit: int = Query(100, ge=1, le=1000),
) -> RetentionPeople:
    """The followers counted in one cell of the retention matrix."""
    items = retention.people(
        session=session,
        workspace_id=principal.workspace_id,
        cohort=cohort or datetime.now(UTC).date(),
        period=period,
        grain=grain,
        mode=mode,
        platform=platform,
        types=types,
        first_touch_content_id=first_touch_content_id,
        as_of=as_of,
        limit=limit,
    )
    return RetentionPeople(items=items)


@router.get("/tiers", response_model=SearchTiers, summary="Followers per tier")
@workspace_endpoint
def get_tiers(
    session: OrmSession, principal: Principal, platform: Platform = None, q: Text = None
) -> SearchTiers:
    """Followers per engagement tier, of one `platform` or all, as the followers page counts
    them. `q` counts only the followers whose username holds it (case and a leading '@'
    ignored), up to `cap` of them: beyond, `capped` is true and each count is a lower bound. The
    matching followers themselves, exact: GET /followers?q=."""
    return service.search_tiers(
        session=session, workspace_id=principal.workspace_id, platform=platform, q=q
    )


@router.get(
    "/content/{content_id}/best-platform", response_model=BestPlatform, summary="Best platform"
)
@workspace_endpoint
def get_best_platform(
    content_id: uuid.UUID, session: OrmSession, principal: Principal
) -> BestPlatform:
    """The content item's platforms two ways, each with its reason: the plain rule (most
    engagement, as content_cross_platform_summary.best_platform) and engagement normalised per
    platform (engagement / views where views are known, else per post per known follower,
    divided by the same rate over all of the workspace's posts on that platform)."""
    return insights.best_platform(
        session=session, workspace_id=principal.workspace_id, content_id=content_id
    )


@router.get("/best-time", response_model=BestTime, responses=CSV_RESPONSE, summary="Best time")
@workspace_endpoint
def get_best_time(
    request: Request,
    session: OrmSession,
    principal: Principal,
    platform: Platform = None,
    tz: str = Query("UTC", max_length=64, pattern=r"^[A-Za-z0-9_+/-]+$", description="IANA zone"),
    fmt: FormatParam = None,
) -> BestTime | StreamingResponse:
    """Weekday x hour of posting: mean interactions per post in its first 24 hours, per
    platform (posts with a posting time only)."""
    result = insights.best_time(
        session=session, workspace_id=principal.workspace_id, platform=platform, tz=tz
    )
    if wants_csv(request, fmt):
        return csv_response(result.cells, BestTimeCell, "best-time")
    return result


@router.get(
    "/tier-movement", response_model=TierMovement, responses=CSV_RESPONSE, summary="Tier movement"
)
@workspace_endpoint
def get_tier_movement(
    request: Request,
    session: OrmSession,
    principal: Principal,
    grain: GrainParam = "week",
    periods: int = Query(12, ge=1, le=retention.MAX_PERIODS),
    as_of: Day | None = Query(None, description="Day in the last period (default today)."),
    fmt: FormatParam = None,
) -> TierMovement | StreamingResponse:
    """Per week or month, from the tier history: followers per (from, to) tier pair, and how
    many moved up, held their tier, moved down or got their first tier."""
    result = insights.tier_movement(
        session=session,
        workspace_id=principal.workspace_id,
        grain=grain,
        periods=periods,
        as_of=as_of,
    )
    if wants_csv(request, fmt):
        rows = (
            TierMoveCsvRow(period=p.period, **m.model_dump())
            for p in result.periods
            for m in p.moves
        )
        return csv_response(rows, TierMoveCsvRow, "tier-movement")
    return result


@router.get(
    "/content-links/suggestions", response_model=LinkSuggestions, summary="Link suggestions"
)
@workspace_endpoint
def get_link_suggestions(
    session: OrmSession,
    principal: Principal,
    limit: int = Query(50, ge=1, le=1000),
) -> LinkSuggestions:
    """Pairs of posts on different platforms, in different content items, posted within 72
    hours with similar captions or titles, best match first. Rejected pairs never return."""
    items = linking.suggestions(session=session, workspace_id=principal.workspace_id, limit=limit)
    return LinkSuggestions(items=items)


@router.get("/content-links", response_model=LinkDecisions, summary="Link decisions")
@workspace_endpoint
def list_link_decisions(session: OrmSession, principal: Principal) -> LinkDecisions:
    """Every accepted or rejected pair, newest first."""
    items = linking.decisions(session=session, workspace_id=principal.workspace_id)
    return LinkDecisions(items=list(items))


LINK_ERRORS: dict[int | str, dict[str, Any]] = {
    **BAD_BODY,
    409: error_response("Already one content item / nothing to undo"),
}


@router.post(
    "/content-links",
    response_model=LinkDecisionOut,
    summary="Accept or reject a link",
    responses=LINK_ERRORS,
)
@workspace_endpoint(write=True)
def post_link_decision(
    body: LinkDecisionIn, session: OrmSession, principal: Principal
) -> LinkDecisionOut:
    """accepted: other_post_id moves into post_id's content item (its interactions and the
    items' totals follow). rejected: the pair is never suggested again."""
    decide = linking.link if body.decision == "accepted" else linking.reject
    return decide(
        session=session,
        workspace_id=principal.workspace_id,
        post_id=body.post_id,
        other_post_id=body.other_post_id,
    )


@router.post(
    "/content-links/unlink/{post_id}",
    response_model=LinkDecisionOut,
    summary="Unlink a post",
    responses=LINK_ERRORS,
)
@workspace_endpoint(write=True)
def post_unlink(post_id: uuid.UUID, session: OrmSession, principal: Principal) -> LinkDecisionOut:
    """Put a post that a link moved back into its previous content item; the pair is then
    rejected, so it is not suggested again."""
    return linking.unlink(session=session, workspace_id=principal.workspace_id, post_id=post_id)


@router.post(
    "/content-links/bulk",
    response_model=BulkLinkOut,
    summary="Accept many links",
    responses=BAD_BODY,
)
@workspace_endpoint(write=True)
def post_link_bulk(body: BulkLinkIn, session: OrmSession, principal: Principal) -> BulkLinkOut:
    """Accept the listed pairs, or every suggestion at or above min_similarity, in one
    transaction; a pair that can no longer be linked is skipped with its reason."""
    ws = principal.workspace_id
    if body.min_similarity is not None:
        return link_batch.link_above(
            session=session, workspace_id=ws, min_similarity=body.min_similarity
        )
    return link_batch.link_pairs(session=session, workspace_id=ws, pairs=body.pairs or [])


@router.post(
    "/content-links/unlink",
    response_model=BulkUnlinkOut,
    summary="Unlink many posts",
    responses=BAD_BODY,
)
@workspace_endpoint(write=True)
def post_unlink_many(
    body: BulkUnlinkIn, session: OrmSession, principal: Principal
) -> BulkUnlinkOut:
    """Unlink each listed post in one transaction; a post no link moved is skipped."""
    return link_batch.unlink_posts(
        session=session, workspace_id=principal.workspace_id, post_ids=body.post_ids
    )
