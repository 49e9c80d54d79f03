"""`fanlens demo`: a working dashboard from nothing, pulled through the real connectors.

Starts the five platform simulators on local ports with a synthetic world, connects one account
per platform to the default workspace, syncs them over HTTP exactly as a real sync runs, scores,
and creates a demo login and an API token. Runs only on an empty workspace; afterwards the saved
login is shown again, so a second `make run` only reuses the data. A demo stopped part-way (its
accounts marked as the demo's, its login never made) is built again by the next run.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine

from fanlens.config import settings
from fanlens.connectors import credentials
from fanlens.connectors import service as accounts
from fanlens.db.engine import unit_of_work
from fanlens.demo import repository
from fanlens.simulators import PLATFORMS, ids, named
from fanlens.simulators.run import RunningSimulator, split_world, start_simulator
from fanlens.workspaces import repository as workspace_repository
from fanlens.workspaces import service as workspace_service

DEMO_PLATFORMS = PLATFORMS  # every platform that has a simulator
DEMO_USERNAME = "demo"
LOGIN_FILE = "demo-login.json"
KEY_FILE = "demo-secret.key"


@dataclass(frozen=True)
class DemoLogin:
    workspace: str
    username: str
    password: str
    token: str


def login_path() -> Path:
    return settings.data_dir / LOGIN_FILE


def saved_login() -> DemoLogin | None:
    try:
        return DemoLogin(**json.loads(login_path().read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def _save_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)


def workspace_is_empty(engine: Engine, name: str) -> bool:
    with unit_of_work(engine) as session:
        workspace = workspace_repository.get_by_name(session, name)
        if workspace is None:
            return True
        return not repository.has_content_or_accounts(session, workspace_id=workspace.id)


def is_unfinished(engine: Engine, name: str) -> bool:
    with unit_of_work(engine) as session:
        workspace = workspace_repository.get_by_name(session, name)
        if workspace is None:
            return False
        return repository.holds_only_an_unfinished_demo(session, workspace_id=workspace.id)


def reset_workspace(engine: Engine, name: str) -> None:
    """Delete the workspace and everything in it (cascades), then create it again, empty."""
    with unit_of_work(engine) as session:
        workspace = workspace_repository.get_by_name(session, name)
        if workspace is not None:
            session.delete(workspace)
            session.flush()
        workspace_service.create(session=session, name=name)
    login_path().unlink(missing_ok=True)


def _ensure_secret_key() -> None:
    """Account credentials are encrypted; without a configured key the demo keeps its own."""
    if settings.secret_key is not None:
        return
    path = settings.data_dir / KEY_FILE
    if not path.exists():
        _save_private(path, credentials.generate_key())
    settings.secret_key = SecretStr(path.read_text(encoding="utf-8").strip())


def start_simulators(size: str, seed: int) -> dict[str, RunningSimulator]:
    """The world ends now (to the second): the demo is an account active up to today."""
    worlds = split_world(size, seed, anchor=datetime.now(UTC).replace(microsecond=0))
    running: dict[str, RunningSimulator] = {}
    for platform in DEMO_PLATFORMS:
        running[platform] = start_simulator(platform, worlds.get(platform, []))
    # The connectors read these roots from the settings (in this process only).
    settings.youtube_base_url = running["youtube"].base_url
    settings.bluesky_base_url = running["bluesky"].base_url
    settings.bluesky_plc_url = running["bluesky"].root_url
    settings.instagram_base_url = running["instagram"].base_url
    settings.tiktok_base_url = running["tiktok"].base_url
    settings.tiktok_business_base_url = running["tiktok"].root_url + "/open_api/v1.3"
    return running


def connect_accounts(
    engine: Engine, workspace: str, sims: dict[str, RunningSimulator]
) -> list[uuid.UUID]:
    with unit_of_work(engine) as session:
        ws = workspace_service.get_by_name_or_raise(session=session, name=workspace)
        connected = [
            accounts.add(
                session=session,
                workspace_id=ws.id,
                platform="youtube",
                handle=ids.YOUTUBE_CREATOR_CHANNEL_ID,
                credentials={"api_key": "demo-key"},
            ),
            accounts.add(
                session=session,
                workspace_id=ws.id,
                platform="bluesky",
                handle=ids.BLUESKY_CREATOR_HANDLE,
            ),
            accounts.add_mastodon(
                session=session,
                workspace_id=ws.id,
                instance=sims["mastodon"].base_url,
                username=ids.MASTODON_CREATOR_USERNAME,
            ),
            accounts.add(
                session=session,
                workspace_id=ws.id,
                platform="instagram",
                handle=ids.INSTAGRAM_CREATOR_USERNAME,
                external_id=ids.INSTAGRAM_CREATOR_ID,
                credentials={"access_token": "IGQV-demo"},
            ),
            accounts.add(
                session=session,
                workspace_id=ws.id,
                platform="tiktok",
                handle=ids.TIKTOK_CREATOR_USERNAME,
                external_id=ids.TIKTOK_CREATOR_OPEN_ID,
                credentials={
                    "access_token": "act.sim",
                    "refresh_token": "rft.sim",
                    "client_key": "sim-client",
                    "client_secret": "s",
                },
            ),
        ]
        # The simulators stop once the demo is made: scheduled syncs would only fail. The mark
        # tells a later run that these accounts are the demo's (see is_unfinished).
        for account in connected:
            account.settings = {**account.settings, "scheduled": False, **repository.DEMO_MARK}
        return [a.id for a in connected]


def sync_with_progress(
    engine: Engine, account_ids: list[uuid.UUID], console: Console
) -> list[tuple[str, Any]]:
    """Each platform with its sync's result, in DEMO_PLATFORMS order."""
    from fanlens.connectors.sync import sync_account

    results = []
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description:<28}"),
        BarColumn(),
        TextColumn("{task.fields[count]:>8,} items"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        for account_id, platform in zip(account_ids, DEMO_PLATFORMS, strict=True):
            tasks: dict[str, Any] = {}

            def progress(
                stream: str, items: int, tasks: dict[str, Any] = tasks, platform: str = platform
            ) -> None:
                if stream not in tasks:
                    tasks[stream] = bar.add_task(f"{platform} {stream}", total=None, count=0)
                task = tasks[stream]
                bar.update(task, count=bar.tasks[task].fields["count"] + items)

            result = sync_account(account_id=account_id, engine=engine, progress=progress)
            for task in tasks.values():
                bar.update(task, total=1, completed=1)
            results.append((platform, result))
    return results


def create_login(engine: Engine, workspace: str) -> DemoLogin:
    from fanlens.auth import service as tokens
    from fanlens.users import repository as user_repository
    from fanlens.users import service as users

    password = secrets.token_urlsafe(12)
    with unit_of_work(engine) as session:
        ws = workspace_service.get_by_name_or_raise(session=session, name=workspace)
        existing = user_repository.get_by_username(session, DEMO_USERNAME)
        if existing is not None:  # left over from a reset of another workspace
            session.delete(existing)
            session.flush()
        users.create(session=session, workspace_id=ws.id, username=DEMO_USERNAME, password=password)
        token = tokens.create(session=session, workspace_id=ws.id, name="demo", scope="read")
    login = DemoLogin(workspace, DEMO_USERNAME, password, token.secret)
    _save_private(login_path(), json.dumps(asdict(login)))
    return login


def run(
    *, engine: Engine, console: Console, size: str = "small", seed: int = 7, reset: bool = False
) -> DemoLogin | None:
    """Build the demo when the default workspace is empty; return the demo login (or None when
    the workspace holds someone's own data)."""
    from fanlens.alerts.runner import check_all
    from fanlens.scoring.runner import rescore_all
    from fanlens.sentiment.runner import analyse_pending

    workspace = settings.default_workspace
    if reset:
        reset_workspace(engine, workspace)
    elif is_unfinished(engine, workspace):
        console.print(
            "demo: the last demo stopped before it finished (its accounts are here, its login "
            "is not): building it again"
        )
        reset_workspace(engine, workspace)
    if not workspace_is_empty(engine, workspace):
        return saved_login()
    _ensure_secret_key()
    # Per-page ingest lines would bury the progress bars; warnings and errors still show.
    logging.getLogger("fanlens").setLevel(max(logging.WARNING, logging.getLogger().level))
    console.print(f"demo: starting the {named(DEMO_PLATFORMS)} simulators ({size} world)")
    sims = start_simulators(size, seed)
    try:
        for platform, sim in sims.items():
            console.print(f"  {platform:<9} {sim.base_url}")
        account_ids = connect_accounts(engine, workspace, sims)
        console.print("demo: syncing one account per platform over HTTP")
        for platform, result in sync_with_progress(engine, account_ids, console):
            console.print(
                f"  {platform:<9} {result.status}: {sum(result.items.values()):,} items, "
                f"{result.inserted:,} new interactions, {result.api_calls} API calls"
            )
    finally:
        for sim in sims.values():
            sim.stop()
    for scored in rescore_all(workspace_name=workspace, rebuild_counts=False, engine=engine):
        console.print(f"demo: {scored.followers:,} followers scored in {scored.seconds:.1f}s")
    # No worker runs during the demo: analyse the comments' sentiment inline.
    analysed = analyse_pending(workspace_name=workspace, engine=engine)
    console.print(f"demo: {analysed.analysed:,} comments' sentiment analysed")
    check_all(workspace_name=workspace, engine=engine)
    return create_login(engine, workspace)
