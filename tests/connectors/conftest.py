"""Fixtures for connector tests: a committed database, a world, a simulator over real HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from fanlens.config import settings
from fanlens.connectors import credentials, service
from fanlens.db.engine import unit_of_work
from fanlens.demo.generate import World, generate_world
from fanlens.kit.http import HttpOptions
from fanlens.simulators.run import RunningSimulator, start_simulator
from fanlens.workspaces import repository as workspaces


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
    # A seed whose YouTube, Bluesky and Mastodon slices hold every interaction type.
    return generate_world("tiny", seed=17)


def fast_http() -> HttpOptions:
    """Real retries and backoff, with short waits so fault tests stay quick. The timeout is
    generous: on a loaded machine a simulator answer took over 1 s, and the timeout's extra
    retry broke a test counting the backoff of 503s (timeouts are tested with their own)."""
    return HttpOptions(timeout=10.0, max_retries=4, backoff=0.01, sleep=lambda s: None)


@pytest.fixture
def start_sim(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Start a platform simulator over real HTTP and point fanlens' settings at it."""
    running: list[RunningSimulator] = []

    def start(platform: str, records: list[dict[str, Any]], **options: Any) -> RunningSimulator:
        sim = start_simulator(platform, records, **options)
        running.append(sim)
        if platform in ("youtube", "bluesky", "instagram", "tiktok"):
            monkeypatch.setattr(settings, f"{platform}_base_url", sim.base_url)
        if platform == "tiktok":
            business = sim.root_url + "/open_api/v1.3"
            monkeypatch.setattr(settings, "tiktok_business_base_url", business)
        return sim

    yield start
    for sim in running:
        sim.stop()


def add_account(
    engine: Engine,
    platform: str,
    sim: RunningSimulator,
    *,
    token: str | None = None,
    credentials: dict[str, Any] | None = None,
) -> uuid.UUID:
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
        elif platform == "instagram":
            account = service.add(
                session=session,
                workspace_id=workspace.id,
                platform="instagram",
                handle=ids.INSTAGRAM_CREATOR_USERNAME,
                external_id=ids.INSTAGRAM_CREATOR_ID,
                credentials={"access_token": token or "IGQV-test", **(credentials or {})},
            )
        elif platform == "tiktok":
            account = service.add(
                session=session,
                workspace_id=workspace.id,
                platform="tiktok",
                handle=ids.TIKTOK_CREATOR_USERNAME,
                external_id=ids.TIKTOK_CREATOR_OPEN_ID,
                credentials={
                    "access_token": token or "act.sim",
                    "refresh_token": "rft.sim",
                    "client_key": "sim-client",
                    "client_secret": "s",
                    **(credentials or {}),
                },
            )
        else:
            account = service.add_mastodon(
                session=session,
                workspace_id=workspace.id,
                instance=sim.base_url,
                username=ids.MASTODON_CREATOR_USERNAME,
                token=token,
            )
        return account.id


def recording_http(slept: list[float], **overrides: Any) -> HttpOptions:
    """Fast HTTP options that record each wait instead of sleeping, with any field overridden."""
    options = fast_http()
    options.sleep = slept.append
    for name, value in overrides.items():
        setattr(options, name, value)
    return options


def account_row(engine: Engine, account_id: object) -> Any:
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT status, last_error FROM accounts WHERE id = :id"), {"id": account_id}
        ).one()
