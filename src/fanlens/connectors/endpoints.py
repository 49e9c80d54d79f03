"""Webhook routes: where platforms push notifications (outside the token-guarded REST API).

A delivery is authenticated by its signature, not by an API token: a missing or wrong one is
answered 401 before the body is parsed, and nothing is stored. Bodies are bounded by the app's
request size limit (1 MiB). A good delivery is answered 200 with what it stored, even when some
of its entries could not be (they are listed); platforms retry anything else.
"""

from __future__ import annotations

import hmac
import time
import uuid
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from fanlens.api.dependencies import session_factory_of
from fanlens.api.errors import error_response
from fanlens.api.params import NO_NUL
from fanlens.api.schemas import error_response as documented
from fanlens.config import settings
from fanlens.connectors import webhooks, websub
from fanlens.connectors.schemas import (
    TikTokWebhookResult,
    WebhookProblem,
    WebhookResult,
    YouTubeWebhookResult,
)
from fanlens.db.engine import committed
from fanlens.kit.timeutil import utcnow

router = APIRouter(
    prefix="/webhooks",
    tags=["webhooks"],
    responses={
        404: documented("Webhooks of this platform are off (their setting is unset)"),
        422: documented("A parameter or the body is invalid"),
        503: documented("The database is unavailable; retry after the Retry-After seconds"),
    },
)
TIKTOK_OFF = "TikTok webhooks are off: set FANLENS_TIKTOK_CLIENT_SECRET"
CHALLENGE = {
    "description": "The challenge, as plain text",
    "content": {"text/plain": {"schema": {"type": "string"}}},
}

HubParam = Annotated[str | None, Query(max_length=1000, pattern=NO_NUL)]
OFF = "Instagram webhooks are off: set FANLENS_INSTAGRAM_APP_SECRET (deliveries) and " + (
    "FANLENS_INSTAGRAM_WEBHOOK_VERIFY_TOKEN (subscription check)"
)


@router.get(
    "/instagram",
    summary="Instagram webhook subscription check",
    responses={200: CHALLENGE, 403: documented("Wrong verify token or mode")},
)
def instagram_verify(
    mode: Annotated[HubParam, Query(alias="hub.mode")] = None,
    challenge: Annotated[HubParam, Query(alias="hub.challenge")] = None,
    verify_token: Annotated[HubParam, Query(alias="hub.verify_token")] = None,
) -> Response:
    """Meta's check of the callback URL: answers `hub.challenge` as plain text when `hub.mode`
    is `subscribe` and `hub.verify_token` equals FANLENS_INSTAGRAM_WEBHOOK_VERIFY_TOKEN."""
    expected = settings.instagram_webhook_verify_token
    if expected is None:
        return error_response(404, "not_found", OFF)
    token_ok = hmac.compare_digest(
        (verify_token or "").encode(), expected.get_secret_value().encode()
    )
    if mode != "subscribe" or not token_ok or challenge is None:
        message = "hub.mode must be subscribe, with the configured hub.verify_token"
        return error_response(403, "forbidden", message)
    return PlainTextResponse(challenge)


@router.post(
    "/instagram",
    response_model=WebhookResult,
    summary="Instagram webhook delivery",
    responses={
        401: documented("Missing or wrong X-Hub-Signature-256"),
        413: documented("Body over 1 MiB"),
    },
)
async def instagram_delivery(request: Request, background: BackgroundTasks) -> Response:
    """A signed delivery of the `comments` and `mentions` fields, stored under every connected
    account whose Instagram id is the entry's `id`: a comment with an observed time (the
    notification carries none; the next sync gives it its exact time), a mention with its exact
    `timestamp`, read from the Graph API. Other fields are ignored; entries of no connected
    account are listed in `problems`."""
    secret = settings.instagram_app_secret
    if secret is None:
        return error_response(404, "not_found", OFF)
    body = await request.body()
    header = request.headers.get("x-hub-signature-256")
    if not webhooks.hub_signature_ok(body, header, secret.get_secret_value()):
        message = "X-Hub-Signature-256 is missing or does not match the body"
        return error_response(401, "bad_signature", message)
    payload = webhooks.load_json(body)

    def store() -> webhooks.Delivery:
        with committed(session_factory_of(request)) as session:
            return webhooks.instagram_delivery(session, payload)

    delivery = await run_in_threadpool(store)
    for workspace_id in delivery.workspaces:  # background tasks run after the commit
        _after_store(background, request, workspace_id)
    return JSONResponse(_result(delivery).model_dump())


@router.post(
    "/tiktok",
    response_model=TikTokWebhookResult,
    summary="TikTok webhook delivery",
    responses={
        401: documented("Missing, wrong or stale TikTok-Signature"),
        413: documented("Body over 1 MiB"),
    },
)
async def tiktok_delivery(request: Request, background: BackgroundTasks) -> Response:
    """A signed TikTok event for the connected account of its `user_openid`:
    `authorization.removed` flags it `needs_reauth`, `video.publish.completed` queues its sync;
    other events are acknowledged and ignored."""
    secret = settings.tiktok_client_secret
    if secret is None:
        return error_response(404, "not_found", TIKTOK_OFF)
    body = await request.body()
    header = request.headers.get("tiktok-signature")
    if not webhooks.tiktok_signature_ok(body, header, secret.get_secret_value(), time.time()):
        message = "TikTok-Signature is missing, stale or does not match the body"
        return error_response(401, "bad_signature", message)
    payload = webhooks.load_json(body)

    def store() -> webhooks.TikTokEvent:
        with committed(session_factory_of(request)) as session:
            return webhooks.tiktok_delivery(session, payload)

    outcome = await run_in_threadpool(store)
    for account_id in outcome.to_sync:  # after the commit, like every job a request queues
        from fanlens.connectors.scheduling import defer_sync

        background.add_task(defer_sync, account_id, engine=request.app.state.engine)
    result = TikTokWebhookResult(
        event=outcome.event,
        accounts=outcome.accounts,
        action=outcome.action,
        problems=[_problem(p) for p in outcome.problems],
    )
    return JSONResponse(result.model_dump())


YOUTUBE_OFF = "YouTube push notifications are off: set FANLENS_PUBLIC_URL"
AccountParam = Annotated[uuid.UUID | None, Query(description="The subscription's account")]


@router.get(
    "/youtube",
    summary="YouTube WebSub subscription check",
    responses={200: CHALLENGE, 404: documented("Not a subscription fanlens asked for")},
)
def youtube_verify(
    request: Request,
    account: AccountParam = None,
    mode: Annotated[HubParam, Query(alias="hub.mode")] = None,
    topic: Annotated[HubParam, Query(alias="hub.topic")] = None,
    challenge: Annotated[HubParam, Query(alias="hub.challenge")] = None,
    lease_seconds: Annotated[HubParam, Query(alias="hub.lease_seconds")] = None,
    reason: Annotated[HubParam, Query(alias="hub.reason")] = None,
) -> Response:
    """The hub's check of a subscription (WebSub intent verification): `hub.challenge` is
    echoed as plain text when `hub.mode` is `subscribe` and `hub.topic` is the channel feed
    fanlens asked about for `account`; anything else is answered 404. `hub.mode=denied` is
    kept as the subscription's error."""
    if not settings.public_url or account is None:
        return _youtube_off()
    with committed(session_factory_of(request)) as session:
        if mode == "denied":
            known = websub.deny(session, account_id=account, topic=topic, reason=reason)
            return PlainTextResponse("") if known else _no_subscription(account)
        confirmed = challenge is not None and websub.confirm(
            session,
            account_id=account,
            mode=mode,
            topic=topic,
            lease_seconds=lease_seconds,
            now=utcnow(),
        )
    return PlainTextResponse(challenge or "") if confirmed else _no_subscription(account)


@router.post(
    "/youtube",
    response_model=YouTubeWebhookResult,
    summary="YouTube WebSub notification",
    responses={
        401: documented("Missing or wrong X-Hub-Signature"),
        404: documented("Not a subscription fanlens holds"),
        413: documented("Body over 1 MiB"),
    },
)
async def youtube_delivery(
    request: Request, background: BackgroundTasks, account: AccountParam = None
) -> Response:
    """An Atom notification of the subscription of `account`, signed with its `hub.secret`:
    each `<entry>` (a new or changed video) is stored as the account's post with its exact
    `published` time and a sync of the account is queued for its counts and comments; each
    `<at:deleted-entry>` is counted (the post and its comments stay)."""
    if not settings.public_url or account is None:
        return _youtube_off()
    body = await request.body()
    secret = websub.secret_for(account)
    if not websub.signature_ok(body, request.headers.get("x-hub-signature"), secret):
        message = "X-Hub-Signature is missing or does not match the body"
        return error_response(401, "bad_signature", message)

    def store() -> websub.Notification | None:
        with committed(session_factory_of(request)) as session:
            subscribed = websub.subscribed_account(session, account)
            if subscribed is None:
                return None
            return websub.notification(session, subscribed, body)

    outcome = await run_in_threadpool(store)
    if outcome is None:
        return _no_subscription(account)
    for account_id in outcome.to_sync:  # after the commit, like every job a request queues
        from fanlens.connectors.scheduling import defer_sync

        background.add_task(defer_sync, account_id, engine=request.app.state.engine)
    result = YouTubeWebhookResult(
        videos=outcome.videos,
        stored=outcome.stored,
        deleted=outcome.deleted,
        rejected=outcome.rejected,
        sync_requested=bool(outcome.to_sync),
    )
    return JSONResponse(result.model_dump())


def _youtube_off() -> Response:
    if not settings.public_url:
        return error_response(404, "not_found", YOUTUBE_OFF)
    return error_response(404, "not_found", "no subscription: the callback names no account")


def _no_subscription(account: uuid.UUID) -> Response:
    message = f"fanlens holds no YouTube subscription of account {account} for this topic"
    return error_response(404, "not_found", message)


def _after_store(background: BackgroundTasks, request: Request, workspace_id: uuid.UUID) -> None:
    from fanlens.people.refresh import defer_refresh
    from fanlens.sentiment.runner import defer_analysis

    engine = request.app.state.engine  # None: the configured database
    background.add_task(defer_analysis, workspace_id, engine=engine)
    background.add_task(defer_refresh, workspace_id, engine=engine)


def _result(delivery: webhooks.Delivery) -> WebhookResult:
    return WebhookResult(
        changes=delivery.changes,
        stored=delivery.stored,
        rejected=delivery.rejected,
        ignored=delivery.ignored,
        problems=[_problem(p) for p in delivery.problems],
    )


def _problem(problem: webhooks.EntryProblem) -> WebhookProblem:
    return WebhookProblem(entry=problem.entry, code=problem.code, message=problem.message)
