"""What the people job runs: per workspace, enrich profiles then refresh suggestions.

Network calls happen outside any transaction; each workspace's writes commit once.
"""

from __future__ import annotations

import logging
import uuid

from pydantic import BaseModel
from sqlalchemy import Engine

from fanlens.connectors import repository as connector_repository
from fanlens.connectors import service as connector_service
from fanlens.connectors.base import ConnectorError
from fanlens.connectors.registry import CONNECTORS
from fanlens.db.engine import unit_of_work
from fanlens.kit.http import HttpOptions
from fanlens.people import enrichment, repository, service
from fanlens.people.enrichment import EnrichResult
from fanlens.people.schemas import SuggestionRun
from fanlens.workspaces import repository as workspace_repository

log = logging.getLogger(__name__)
PROFILES_PER_RUN = 500


class PeopleRun(BaseModel):
    workspace_id: uuid.UUID
    enriched: list[EnrichResult]
    suggestions: SuggestionRun


def enrich_account(
    account_id: uuid.UUID,
    *,
    engine: Engine | None = None,
    limit: int = PROFILES_PER_RUN,
    http: HttpOptions | None = None,
) -> EnrichResult | None:
    """Refresh the stalest profiles of one account's platform in its workspace."""
    with unit_of_work(engine) as session:
        account = connector_service.get_or_raise(session=session, account_id=account_id)
        cls = CONNECTORS[account.platform]
        if account.status != "active" or cls.profiles_per_call == 0:
            return None
        workspace_id, platform = account.workspace_id, account.platform
        config = connector_service.config(account)
        ids = repository.stalest_identities(
            session, workspace_id=workspace_id, platform=platform, limit=limit
        )
    connector = cls.from_account(config, http or HttpOptions())
    try:
        profiles = enrichment.fetch(connector, ids)
    finally:
        connector.close()
    with unit_of_work(engine) as session:
        repository.store_profiles(
            session, workspace_id=workspace_id, platform=platform, asked=ids, profiles=profiles
        )
        units = connector.http.quota_used
        connector_service.count_quota(session=session, connector=connector, units=units)
    return EnrichResult(platform=platform, asked=len(ids), refreshed=len(profiles))


def run_all(*, engine: Engine | None = None) -> list[PeopleRun]:
    with unit_of_work(engine) as session:
        workspaces = [w.id for w in workspace_repository.list_all(session)]
        accounts = [
            (a.workspace_id, a.id)
            for a in connector_repository.list_accounts(session)
            if a.status == "active"
        ]
    runs = []
    for workspace_id in workspaces:
        enriched = []
        for ws, account_id in accounts:
            if ws != workspace_id:
                continue
            try:
                result = enrich_account(account_id, engine=engine)
            except ConnectorError as exc:  # one platform down must not stop the others
                log.warning("profile refresh of account %s failed: %s", account_id, exc.message)
                continue
            if result is not None:
                enriched.append(result)
        with unit_of_work(engine) as session:
            found = service.refresh_suggestions(session=session, workspace_id=workspace_id)
        runs.append(PeopleRun(workspace_id=workspace_id, enriched=enriched, suggestions=found))
    return runs
