"""A tiny world loaded through the ingest pipeline, served by a real uvicorn on a free port,
and Debian's chromium driven by Playwright.

Workspace "default" (A) holds the world, a connected account with one sync run and a rejected
line; workspace "other" (B) holds a second world whose ids must never show up on A's pages;
workspace "linking" holds cross-posts that wait for review.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from pydantic import SecretStr
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from fanlens.auth import service as tokens
from fanlens.config import settings
from fanlens.connectors import repository as connector_repository
from fanlens.connectors import service as connectors
from fanlens.connectors.base import RetiredMetric
from fanlens.connectors.youtube import YouTubeConnector
from fanlens.demo.generate import generate_world
from fanlens.interactions.ingest import ingest_records
from fanlens.kit.timeutil import utcnow
from fanlens.sentiment.runner import analyse_pending
from fanlens.server import processes
from fanlens.server.app import create_app
from fanlens.users import service as users
from fanlens.workspaces import repository as workspaces
from fanlens.workspaces import service as workspace_service
from tests.fixtures.database import create_database, drop_database
from tests.helpers import free_port

API = "/api/social-analytics"
PASSWORD = "correct horse battery"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "pages"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass
class Site:
    base: str
    engine: Engine
    token: str
    ids: dict[str, uuid.UUID] = field(default_factory=dict)
    hostile_token: str = ""

    def api(self, path: str, **params: Any) -> Any:
        import httpx

        response = httpx.get(
            f"{self.base}{API}{path}",
            params=params,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
        )
        response.raise_for_status()
        return response.json() if "json" in response.headers["content-type"] else response.text


def _load(session: Session, site: Site) -> None:
    a = workspaces.get_by_name(session, "default")
    assert a is not None
    b = workspace_service.create(session=session, name="other")
    ingest_records(
        session, workspace_id=a.id, records=generate_world("tiny", 11).records(), source="test"
    )
    ingest_records(
        session,
        workspace_id=a.id,
        records=[{"type": "interaction", "platform": "youtube"}],  # rejected: no user
        source="test:bad",
    )
    ingest_records(
        session, workspace_id=b.id, records=generate_world("tiny", 12).records(), source="test"
    )
    account = connectors.add(session=session, workspace_id=a.id, platform="bluesky", handle="me")
    run_id = connector_repository.start_run(session, account.id, full=True)
    connector_repository.add_to_run(
        session, run_id, stream="posts", items=8, rejects=0, api_calls=17, quota_used=0
    )
    connector_repository.finish_run(
        session, run_id, status="succeeded", api_calls=17, quota_used=0, last_error=None
    )
    connector_repository.save_state(session, account.id, "posts", {"cursor": "x"})
    channel = connectors.add(session=session, workspace_id=a.id, platform="youtube", handle="UCq")
    today = YouTubeConnector.quota_day(utcnow())
    connector_repository.add_quota(session, channel.id, day=today, units=1_200)
    connector_repository.add_quota(session, channel.id, day=today, units=34)
    retired = RetiredMetric("impressions", "FEED", "(#100) the impressions metric is retired")
    connector_repository.record_retired_metrics(session, account.id, [retired])
    connector_repository.open_gap(
        session, account.id, "live:jetstream", 1_765_000_000_000_000, "ConnectionClosedError"
    )
    _load_hostile(session, site)
    _load_linking(session, site)
    users.create(session=session, workspace_id=a.id, username="amy", password=PASSWORD)
    users.create(session=session, workspace_id=a.id, username="locked", password=PASSWORD)
    users.create(session=session, workspace_id=b.id, username="bob", password=PASSWORD)
    site.token = tokens.create(session=session, workspace_id=a.id, name="t", scope="read").secret
    site.ids.update(a=a.id, b=b.id)


# Workspace "hostile": imported text that attacks the pages and the CSV exports.
FORMULA_TITLE = '=HYPERLINK("http://evil.example","open me")'
HOSTILE_RECORDS: list[dict[str, Any]] = [
    {"type": "post", "platform": "youtube", "external_post_id": "js-1",
     "content": {"key": "js-video", "title": FORMULA_TITLE}, "url": "javascript:alert(1)",
     "posted_at": "2026-11-01T12:00:00Z", "metrics": {"views": 10, "likes": 1}},
    {"type": "post", "platform": "bluesky", "external_post_id": "js-2",
     "content": {"key": "js-video"}, "url": " JavaScript:alert(2)",
     "posted_at": "2026-11-02T12:00:00Z", "metrics": {"likes": 1}},
    {"type": "follower", "platform": "youtube", "external_user_id": "u-js", "username": "-2+3",
     "display_name": "@SUM(1,2)", "profile_url": "javascript:alert(3)"},
    {"type": "interaction", "platform": "youtube", "interaction_type": "comment",
     "external_post_id": "js-1", "occurred_at": "2026-11-03T12:00:00Z",
     "user": {"external_user_id": "u-js", "username": "-2+3"}, "text": "+1 great"},
]  # fmt: skip


def _load_hostile(session: Session, site: Site) -> None:
    hostile = workspace_service.create(session=session, name="hostile")
    ingest_records(session, workspace_id=hostile.id, records=HOSTILE_RECORDS, source="test")
    users.create(session=session, workspace_id=hostile.id, username="eve", password=PASSWORD)
    site.hostile_token = tokens.create(
        session=session, workspace_id=hostile.id, name="t", scope="read"
    ).secret
    site.ids["hostile"] = hostile.id


def _load_linking(session: Session, site: Site) -> None:
    """Workspace "linking": a world whose posts arrive without their content item, so the
    cross-posts wait on the linking page (user "lin" changes them, "lina" may only look; no other
    test reads them)."""
    ws = workspace_service.create(session=session, name="linking")
    world = generate_world("tiny", 13, unlinked=True)
    ingest_records(session, workspace_id=ws.id, records=world.records(), source="test")
    users.create(session=session, workspace_id=ws.id, username="lin", password=PASSWORD)
    users.create(
        session=session, workspace_id=ws.id, username="lina", password=PASSWORD, scope="read"
    )
    site.ids["linking"] = ws.id


def serve(app: Any) -> tuple[uvicorn.Server, threading.Thread, int]:
    """The app on a free port, with the forwarding-header options `fanlens serve` uses."""
    port = free_port()
    config = uvicorn.Config(
        app, port=port, log_level="warning", lifespan="off", **processes.proxy_options()
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "server did not start"
        time.sleep(0.02)
    return server, thread, port


@pytest.fixture(scope="session")
def site(admin_url: str, template_database: str) -> Iterator[Site]:
    saved = settings.session_secret
    settings.session_secret = SecretStr("test-session-secret-" + uuid.uuid4().hex)
    name = f"fanlens_web_{uuid.uuid4().hex[:8]}"
    url = create_database(admin_url, name, template=template_database)
    engine = create_engine(url, pool_size=10, max_overflow=10)
    built = Site(base="", engine=engine, token="")
    with Session(engine, expire_on_commit=False) as session:
        _load(session, built)
        session.commit()
    analyse_pending(workspace_id=built.ids["a"], engine=engine)  # comments get their labels
    server, thread, port = serve(create_app(engine))
    built.base = f"http://127.0.0.1:{port}"
    yield built
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()
    drop_database(admin_url, make_url(url).database or name)
    settings.session_secret = saved


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is missing: `make test` installs it (scripts/ensure-chromium.sh)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class Tab:
    page: Any
    problems: list[str]

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def login(page: Any, base: str, username: str = "amy", password: str = PASSWORD) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


@pytest.fixture(scope="session")
def logged_in(browser: Any, site: Site) -> Iterator[Any]:
    """One logged-in browser context for the page tests: its cache keeps the 4.8 MB chart
    library parsed once, which matters on a loaded 2-core machine."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True)
    page = context.new_page()
    login(page, site.base)
    page.wait_for_url(f"{site.base}/analytics")
    page.close()
    yield context
    context.close()


@pytest.fixture
def tab(logged_in: Any) -> Iterator[Tab]:
    """A new page of the logged-in context; console errors and page errors are collected."""
    page = logged_in.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda m: (
            problems.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    yield Tab(page, problems)
    page.close()
