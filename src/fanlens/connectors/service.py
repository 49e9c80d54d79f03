"""Accounts: adding a creator's channel, listing them, and what a connector needs to sync one."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlparse

from sqlalchemy.orm import Session

from fanlens.connectors import credentials as secrets
from fanlens.connectors import repository
from fanlens.connectors.base import AccountConfig, Connector
from fanlens.connectors.models import Account, SyncRun
from fanlens.connectors.registry import CONNECTORS
from fanlens.connectors.schemas import (
    AccountHealth,
    DailyQuota,
    DerivedRows,
    LiveGapOut,
    RejectGroup,
    RejectOut,
    RetiredMetricOut,
    StreamState,
    SyncHealth,
    SyncRunOut,
)
from fanlens.interactions import repository as interaction_repository
from fanlens.interactions import upkeep_repository
from fanlens.kit.errors import Conflict, InvalidInput, NotFound
from fanlens.kit.timeutil import utcnow

PLATFORMS = ("youtube", "bluesky", "mastodon", "instagram", "tiktok")


def add(
    *,
    session: Session,
    workspace_id: uuid.UUID,
    platform: str,
    handle: str,
    external_id: str | None = None,
    settings: dict[str, Any] | None = None,
    credentials: dict[str, Any] | None = None,
) -> Account:
    """Connect an account; credentials are encrypted before they reach the database."""
    if platform not in PLATFORMS:
        raise InvalidInput(f"unknown platform {platform!r} (known: {', '.join(PLATFORMS)})")
    handle = handle.strip()
    if not handle:
        raise InvalidInput("an account needs a handle or channel id")
    external_id = (external_id or handle).strip()
    if repository.find_account(
        session, workspace_id=workspace_id, platform=platform, external_id=external_id
    ):
        raise Conflict(f"{platform} account {external_id} is already connected")
    secret = {k: v for k, v in (credentials or {}).items() if v}
    account = Account(
        workspace_id=workspace_id,
        platform=platform,
        handle=handle,
        external_id=external_id,
        settings=settings or {},
        credentials=secrets.encrypt(secret) if secret else None,
    )
    session.add(account)
    session.flush()
    return account


def add_mastodon(
    *,
    session: Session,
    workspace_id: uuid.UUID,
    instance: str,
    username: str,
    token: str | None = None,
) -> Account:
    instance_url = normalize_instance(instance)
    username = username.strip().lstrip("@").split("@")[0]
    host = urlparse(instance_url).netloc
    return add(
        session=session,
        workspace_id=workspace_id,
        platform="mastodon",
        handle=username,
        external_id=f"{username}@{host}",
        settings={"instance_url": instance_url},
        credentials={"access_token": token},
    )


def store_credentials(
    *, session: Session, account_id: uuid.UUID, credentials: dict[str, Any]
) -> None:
    """Keep refreshed credentials (encrypted) so the next sync starts from them."""
    ciphertext = secrets.encrypt({k: v for k, v in credentials.items() if v})
    repository.set_credentials(session, account_id, ciphertext)


def normalize_instance(instance: str) -> str:
    value = instance.strip().rstrip("/")
    if "://" not in value:
        value = f"https://{value}"
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise InvalidInput(f"{instance!r} is not an instance URL (e.g. https://mastodon.social)")
    return value


def get_or_raise(*, session: Session, account_id: uuid.UUID) -> Account:
    account = repository.get_account(session, account_id)
    if account is None:
        raise NotFound(f"no account {account_id} (see `fanlens account list`)")
    return account


def config(account: Account) -> AccountConfig:
    """The account as a connector sees it: credentials decrypted, in memory only."""
    return AccountConfig(
        id=account.id,
        platform=account.platform,
        handle=account.handle,
        external_id=account.external_id,
        settings=dict(account.settings),
        credentials=secrets.decrypt(account.credentials),
    )


def count_quota(*, session: Session, connector: Connector, units: int) -> None:
    """Add units the connector spent to its account's count for the platform's day (platforms
    with a daily quota only)."""
    if connector.daily_quota and units > 0:
        day = connector.quota_day(utcnow())
        repository.add_quota(session, connector.account.id, day=day, units=units)


RECENT_RUNS = 20
LATEST_REJECTS = 20
RECENT_GAPS = 20


def health(*, session: Session, workspace_id: uuid.UUID) -> SyncHealth:
    """Freshness and cost of every account's syncs, and what the pipeline refused."""
    accounts = repository.list_accounts(session, workspace_id=workspace_id)
    ids = [a.id for a in accounts]
    last = repository.last_runs(session, ids)
    streams: dict[uuid.UUID, list[StreamState]] = {}
    for state in repository.stream_states(session, ids):
        streams.setdefault(state.account_id, []).append(
            StreamState(stream=state.stream, updated_at=state.updated_at)
        )
    quotas = _quotas(session, accounts)
    waiting = upkeep_repository.waiting(session, workspace_id=workspace_id)
    return SyncHealth(
        derived_rows=DerivedRows(
            waiting=waiting,
            status=f"catching up ({waiting:,} interactions)" if waiting else "current",
        ),
        accounts=[
            _account_health(a, last.get(a.id), streams.get(a.id, []), quotas.get(a.id))
            for a in accounts
        ],
        recent_runs=[
            SyncRunOut.model_validate(r) for r in repository.recent_runs(session, ids, RECENT_RUNS)
        ],
        rejects=[
            RejectGroup.model_validate(r._mapping)
            for r in interaction_repository.reject_summary(session, workspace_id)
        ],
        latest_rejects=[
            RejectOut.model_validate(r)
            for r in interaction_repository.recent_rejects(session, workspace_id, LATEST_REJECTS)
        ],
        retired_metrics=[
            RetiredMetricOut.model_validate(r) for r in repository.retired_metrics(session, ids)
        ],
        live_gaps=[
            LiveGapOut.model_validate(g) for g in repository.recent_gaps(session, ids, RECENT_GAPS)
        ],
    )


def _quotas(session: Session, accounts: list[Account]) -> dict[uuid.UUID, DailyQuota]:
    """Today's quota count of each account whose platform has a daily quota."""
    quotas = {}
    for account in accounts:
        connector = CONNECTORS.get(account.platform)
        if connector is None or not connector.daily_quota:
            continue
        day = connector.quota_day(utcnow())
        used = repository.quota_used(session, [account.id], day=day)[account.id]
        quotas[account.id] = DailyQuota(
            day=day,
            used=used,
            limit=connector.daily_quota,
            recent_budget=connector.recent_quota_budget(),
        )
    return quotas


def _account_health(
    account: Account,
    run: SyncRun | None,
    streams: list[StreamState],
    quota: DailyQuota | None,
) -> AccountHealth:
    return AccountHealth(
        id=account.id,
        platform=account.platform,
        handle=account.handle,
        external_id=account.external_id,
        display_name=account.display_name,
        status=account.status,
        last_error=account.last_error,
        last_run=SyncRunOut.model_validate(run) if run else None,
        streams=streams,
        quota=quota,
    )
