"""Merge suggestions follow new data without a manual refresh: after `fanlens import`, after
`POST ingest` (through the job worker) and after a sync (tests/connectors/test_sync_people.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from fanlens.auth import service as auth_service
from fanlens.config import settings
from fanlens.db.queue import ensure_schema
from fanlens.demo.generate import generate_world
from fanlens.jobs.process import running
from fanlens.server.app import create_app
from fanlens.workspaces import service as workspace_service
from tests.connectors.asgi_server import serve
from tests.helpers import fanlens_env, invoke_cli


def suggestions(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT s.status, s.confidence, fa.platform AS pa, fb.platform AS pb "
                "FROM person_suggestions s JOIN followers fa ON fa.id = s.follower_a_id "
                "JOIN followers fb ON fb.id = s.follower_b_id"
            )
        ).all()


def decided_by_the_threshold(rows: list[Any]) -> None:
    """Pending below FANLENS_PEOPLE_AUTO_MERGE_CONFIDENCE, merged at or above it."""
    threshold = settings.people_auto_merge_confidence
    assert {r.status for r in rows if r.confidence >= threshold} <= {"merged"}
    assert {r.status for r in rows if r.confidence < threshold} == {"pending"}


def test_import_refreshes_the_suggestions(fresh_database_url: str, tmp_path: Path) -> None:
    world = generate_world("tiny", seed=11)
    path = tmp_path / "world.jsonl"
    path.write_text("".join(line + "\n" for line in world.jsonl_lines()), encoding="utf-8")
    engine = create_engine(fresh_database_url, poolclass=NullPool)
    assert suggestions(engine) == []

    done = invoke_cli("import", str(path), env=fanlens_env(database_url=fresh_database_url))
    assert done.returncode == 0, done.stderr
    rows = suggestions(engine)
    assert rows and all(r.pa != r.pb for r in rows)
    assert "new merge suggestions" in done.stdout
    decided_by_the_threshold(rows)
    again = invoke_cli("import", str(path), env=fanlens_env(database_url=fresh_database_url))
    assert again.returncode == 0 and len(suggestions(engine)) == len(rows)
    engine.dispose()


def _wait_for(check: Callable[[], Any], timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    found = check()
    while not found and time.monotonic() < deadline:
        time.sleep(0.2)
        found = check()
    return found


def _jobs(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT status, args FROM procrastinate_jobs "
                "WHERE task_name = 'fanlens:refresh_suggestions'"
            )
        ).all()


def test_api_ingest_queues_the_refresh_for_the_worker(
    fresh_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ensure_schema(fresh_database_url)
    engine = create_engine(fresh_database_url, poolclass=NullPool)
    with Session(engine) as session:
        ws = workspace_service.get_by_name_or_raise(session=session, name="default")
        token = auth_service.create(session=session, workspace_id=ws.id, name="t", scope="write")
        session.commit()
        ws_id = ws.id
    body = "\n".join(generate_world("tiny", seed=11).jsonl_lines())
    with serve(create_app(engine)) as base:
        answer = httpx.post(
            f"{base}/api/social-analytics/ingest",
            content=body.encode(),
            headers={"Authorization": f"Bearer {token.secret}"},
            timeout=120,
        )
    assert answer.status_code == 200, answer.text
    assert [(j.status, j.args) for j in _jobs(engine)] == [("todo", {"workspace_id": str(ws_id)})]
    assert suggestions(engine) == []  # the request itself does not look for them

    monkeypatch.setenv("FANLENS_DATABASE_URL", fresh_database_url)  # the worker's database
    with running(fresh_database_url):
        done = _wait_for(lambda: [j for j in _jobs(engine) if j.status == "succeeded"], 60)
    assert done, _jobs(engine)
    rows = suggestions(engine)
    assert rows
    decided_by_the_threshold(rows)
    engine.dispose()
