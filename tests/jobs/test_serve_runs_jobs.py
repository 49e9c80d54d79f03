"""Issue #22, point 5, as a user runs it: `fanlens serve` on a real socket analyses a comment
ingested after it started, with no second command; `--no-worker` leaves the comment pending,
and every answer that shows its label says so."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import psutil
import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from fanlens.db.queue import ensure_schema
from tests.helpers import fanlens_env, free_port, run_cli, wait_for_http

API = "/api/social-analytics"
PASSWORD = "correct horse battery"
TERRIBLE = "This is terrible advice"  # VADER's lexicon holds "terrible" as clearly negative


def _records() -> list[dict[str, Any]]:
    post = {
        "type": "post",
        "platform": "youtube",
        "external_post_id": "v1",
        "content": {"key": "advice", "title": "Advice video"},
        "posted_at": "2026-11-02T12:00:00Z",
    }
    comment = {
        "type": "interaction",
        "platform": "youtube",
        "interaction_type": "comment",
        "external_id": "c1",
        "external_post_id": "v1",
        "text": TERRIBLE,
        "occurred_at": "2026-11-02T15:00:00Z",
        "user": {"external_user_id": "u1", "username": "critic"},
    }
    return [post, comment]


@contextmanager
def _served(env: dict[str, str], *flags: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "fanlens", "serve", "--no-migrate", "--port", str(port), *flags],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_for_http(f"{base}/healthz").status_code == 200
        yield base, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
        proc.wait(timeout=60)


def _setup(url: str) -> tuple[dict[str, str], dict[str, str]]:
    env = fanlens_env(database_url=url)
    created = run_cli("token", "create", "--scope", "write", env=env)
    assert created.returncode == 0, created.stderr
    user = run_cli("user", "create", "ana", "--password", PASSWORD, env=env)
    assert user.returncode == 0, user.stderr
    return env, {"Authorization": f"Bearer {created.stdout.strip().splitlines()[-1]}"}


def _ingest(base: str, auth: dict[str, str], url: str) -> tuple[str, str]:
    """POST the post and its comment; the comment's interaction id and content id."""
    answer = httpx.post(f"{base}{API}/ingest", json=_records(), headers=auth, timeout=60)
    assert answer.status_code == 200, answer.text
    assert answer.json()["interactions_inserted"] == 1
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT id, content_id FROM follower_interactions WHERE external_id = 'c1'")
        ).one()
    engine.dispose()
    return str(row.id), str(row.content_id)


def _content_page(base: str, content_id: str) -> str:
    with httpx.Client(base_url=base, timeout=60) as client:
        login = client.get("/login").text
        match = re.search(r'name="csrf_token" value="([^"]+)"', login)
        assert match
        form = {"username": "ana", "password": PASSWORD, "csrf_token": match.group(1)}
        assert client.post("/login", data=form).status_code == 303
        page = client.get(f"/analytics/content/{content_id}")
    assert page.status_code == 200
    return page.text


def _selected_label(page: str) -> str:
    """The option the comment's label control shows: the selected one, else the first."""
    select = re.search(r'<select name="label"[^>]*>(.*?)</select>', page, re.S)
    assert select
    options = re.findall(r"<option([^>]*)>([^<]*)</option>", select.group(1))
    chosen = [name for attributes, name in options if re.search(r"\bselected\b", attributes)]
    return (chosen or [options[0][1]])[0]


def test_serve_analyses_a_comment_ingested_after_it_started(fresh_database_url: str) -> None:
    env, auth = _setup(fresh_database_url)
    with _served(env) as (base, proc):
        job_workers = _job_worker_children(proc.pid)
        comment_id, content_id = _ingest(base, auth, fresh_database_url)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            sentiment = httpx.get(f"{base}{API}/sentiment/comments/{comment_id}", headers=auth)
            if sentiment.json().get("status") == "analysed":
                break
            time.sleep(0.5)
        page = _content_page(base, content_id)
        proc.terminate()
        output = proc.communicate(timeout=60)[0]
    assert sentiment.json()["status"] == "analysed", output
    assert sentiment.json()["label"] == "negative"
    assert _selected_label(page) == "negative"
    assert "job worker: running" in output
    assert proc.returncode == 0, output
    _, alive = psutil.wait_procs(job_workers, timeout=30)
    assert not alive  # the job worker stopped with the server


def test_no_worker_leaves_the_comment_pending_everywhere(fresh_database_url: str) -> None:
    env, auth = _setup(fresh_database_url)
    ensure_schema(fresh_database_url)  # as `fanlens db upgrade` does where workers run apart
    with _served(env, "--no-worker") as (base, proc):
        assert _job_worker_children(proc.pid) == []
        comment_id, content_id = _ingest(base, auth, fresh_database_url)
        comment = httpx.get(f"{base}{API}/sentiment/comments/{comment_id}", headers=auth).json()
        summary = httpx.get(f"{base}{API}/sentiment/content/{content_id}", headers=auth).json()
        detail = httpx.get(f"{base}{API}/content/{content_id}", headers=auth).json()
        follower = _follower_id(fresh_database_url)
        mood = httpx.get(f"{base}{API}/sentiment/followers/{follower}", headers=auth).json()
        platforms = httpx.get(
            f"{base}{API}/sentiment/platforms", params={"since": "2026-11-01T00:00:00Z"},
            headers=auth,
        ).json()  # fmt: skip
        page = _content_page(base, content_id)
    assert (comment["status"], comment["label"], comment["analyser_label"]) == (
        "pending", "pending", None,
    )  # fmt: skip
    counts = {k: summary[k] for k in ("total", "pending", "positive", "neutral", "negative")}
    assert counts == {"total": 0, "pending": 1, "positive": 0, "neutral": 0, "negative": 0}
    assert detail["sentiment"]["pending"] == 1
    assert (mood["mood"], mood["pending"], mood["total"]) == ("pending", 1, 0)
    assert [(p["platform"], p["pending"], p["total"]) for p in platforms] == [("youtube", 1, 0)]
    assert _selected_label(page) == "pending"
    assert 'data-label="pending"' in page
    # The job is queued for a worker that runs elsewhere, and nothing here ran it.
    engine = create_engine(fresh_database_url, poolclass=NullPool)
    with engine.connect() as conn:
        queued = conn.execute(
            text("SELECT status FROM procrastinate_jobs WHERE task_name LIKE '%analyse_comments'")
        ).scalars()
        assert list(queued) == ["todo"]
    engine.dispose()


def _follower_id(url: str) -> str:
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        found = conn.execute(text("SELECT id FROM followers WHERE external_user_id = 'u1'"))
        follower = str(found.scalar_one())
    engine.dispose()
    return follower


def _job_worker_children(pid: int) -> list[psutil.Process]:
    """The server's living children that run procrastinate (multiprocessing's spawn children;
    a killed one stays a zombie until the server notices)."""
    found = []
    for child in psutil.Process(pid).children():
        try:
            if "spawn_main" in " ".join(child.cmdline()):
                found.append(child)
        except psutil.Error:  # a zombie, or gone meanwhile
            continue
    return found


@pytest.mark.slow
def test_a_separate_worker_and_the_servers_share_the_schedule(fresh_database_url: str) -> None:
    """Each tick is deferred once with `fanlens worker` beside `fanlens serve`; the server's
    worker comes back after being killed, and SIGINT stops the server and it cleanly."""
    ensure_schema(fresh_database_url)
    env = fanlens_env(
        database_url=fresh_database_url,
        FANLENS_RESCORE_CRON="* * * * * */2",  # every 2 seconds, so the test sees several ticks
        FANLENS_ALERT_CRON="0 0 1 1 *",
    )
    separate = subprocess.Popen(
        [sys.executable, "-m", "fanlens", "worker", "--name", "separate"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    engine = create_engine(fresh_database_url, poolclass=NullPool)
    try:
        with _served(env) as (_, proc):
            [first] = _job_worker_children(proc.pid)
            first.kill()
            replacement = _wait_for(
                lambda: [c for c in _job_worker_children(proc.pid) if c.pid != first.pid], 60
            )
            assert len(replacement) == 1
            assert _wait_for(lambda: _succeeded_ticks(engine) >= 4, 120)
            proc.send_signal(signal.SIGINT)
            output = proc.communicate(timeout=60)[0]
            assert proc.returncode == 0, output
            _, alive = psutil.wait_procs(replacement, timeout=30)
            assert not alive
    finally:
        separate.terminate()
        separate.communicate(timeout=60)
    with engine.connect() as conn:
        per_tick = conn.execute(
            text(
                "SELECT args->>'timestamp' AS tick, count(*) AS jobs FROM procrastinate_jobs "
                "WHERE task_name LIKE '%nightly_rescore' GROUP BY 1"
            )
        ).all()
    engine.dispose()
    assert per_tick and all(row.jobs == 1 for row in per_tick), per_tick


def _succeeded_ticks(engine: Engine) -> int:
    with engine.connect() as conn:
        found = conn.execute(
            text(
                "SELECT count(DISTINCT args->>'timestamp') FROM procrastinate_jobs "
                "WHERE task_name LIKE '%nightly_rescore' AND status = 'succeeded'"
            )
        )
        return found.scalar() or 0


def _wait_for(check: Callable[[], Any], timeout: float) -> Any:
    """`check()` once it is truthy, else its last value after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    found = check()
    while not found and time.monotonic() < deadline:
        time.sleep(0.2)
        found = check()
    return found
