"""Fixtures for connector tests: a committed database, a world, a simulator over real HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, create_engine
from sqlalchemy.pool import NullPool

from fanlens.config import settings
from fanlens.connectors import credentials, service
from fanlens.db.engine import unit_of_work
from fanlens.interactions.generate import World, generate_world
from fanlens.kit.http import HttpOptions
from fanlens.workspaces import repository as workspaces
from tests.connectors.asgi_server import serve


@pytest.fixture
def secret_key(monkeypatch: pytest.MonkeyPatch) -> str:
    key = credentials.generate_key()
    monkeypatch.setattr(settings, "secret_key", SecretStr(key))
    return key


@pytest.fixture
def db(fresh_database_url: str) -> Iterator[Engine]:
    engine = create_engine(fresh_database_url, poolclass=NullPool)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def world() -> World:
    return generate_world("tiny", seed=3)


def fast_http() -> HttpOptions:
    """Real retries and backoff, with short waits so fault tests stay quick."""
    return HttpOptions(timeout=1.0, max_retries=4, backoff=0.01, sleep=lambda s: None)


@dataclass
class Sim:
    """A platform simulator served on a free port, and its control endpoints."""

    url: str
    simulator: Any

    def faults(self, **switches: Any) -> None:
        httpx.post(f"{self.url}/_sim/faults", json=switches).raise_for_status()

    def clear_faults(self) -> None:
        httpx.delete(f"{self.url}/_sim/faults").raise_for_status()

    def add(self, records: list[dict[str, Any]]) -> int:
        response = httpx.post(f"{self.url}/_sim/world", json={"records": records})
        response.raise_for_status()
        return int(response.json()["added"])

    def state(self) -> dict[str, Any]:
        return dict(httpx.get(f"{self.url}/_sim/state").json())


def simulator_for(platform: str, records: list[dict[str, Any]], **options: Any) -> Any:
    if platform == "youtube":
        from fanlens.simulators.youtube import YouTubeSimulator

        return YouTubeSimulator(records, **options)
    if platform == "bluesky":
        from fanlens.simulators.bluesky import BlueskySimulator

        return BlueskySimulator(records, **options)
    from fanlens.simulators.mastodon import MastodonSimulator

    return MastodonSimulator(records, **options)


@pytest.fixture
def start_sim(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    servers: list[Any] = []

    def start(platform: str, records: list[dict[str, Any]], **options: Any) -> Sim:
        simulator = simulator_for(platform, records, **options)
        context = serve(simulator.app())
        url = context.__enter__()
        servers.append(context)
        monkeypatch.setattr(settings, "youtube_base_url", f"{url}/youtube/v3")
        monkeypatch.setattr(settings, "bluesky_base_url", url)
        return Sim(url=url, simulator=simulator)

    yield start
    for context in servers:
        context.__exit__(None, None, None)


def add_account(engine: Engine, platform: str, sim: Sim, *, token: str | None = None) -> uuid.UUID:
    from fanlens.simulators import ids

    with unit_of_work(engine) as session:
        workspace = workspaces.get_by_name(session, "default")
        assert workspace is not None
        if platform == "youtube":
            account = service.add(
                session=session,
                workspace_id=workspace.id,
                platform="youtube",
                handle=ids.YOUTUBE_CREATOR_CHANNEL_ID,
                credentials={"api_key": "test-key"},
            )
        elif platform == "bluesky":
            account = service.add(
                session=session,
                workspace_id=workspace.id,
                platform="bluesky",
                handle=ids.BLUESKY_CREATOR_HANDLE,
                credentials={"access_token": token},
            )
        else:
            account = service.add_mastodon(
                session=session,
                workspace_id=workspace.id,
                instance=sim.url,
                username=ids.MASTODON_CREATOR_USERNAME,
                token=token,
            )
        return account.id
