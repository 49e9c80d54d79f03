from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from tests.helpers import fanlens_env, free_port, invoke_cli, run_cli, wait_for_http


def test_db_upgrade_status_and_workspaces_on_a_configured_server(empty_database_url: str) -> None:
    env = fanlens_env(database_url=empty_database_url)
    upgraded = invoke_cli("db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "schema at revision" in upgraded.stdout

    created = invoke_cli("workspace", "create", "amy-studio", env=env)
    assert created.returncode == 0, created.stderr
    duplicate = invoke_cli("workspace", "create", "amy-studio", env=env)
    assert duplicate.returncode == 1
    assert "already exists" in duplicate.stderr

    status = invoke_cli("db", "status", env=env)
    assert status.returncode == 0, status.stderr
    assert "up to date" in status.stdout
    assert "workspaces" in status.stdout
    assert "***" in status.stdout or "@" in status.stdout  # location shown, password hidden


@pytest.mark.xdist_group(name="own-server")
def test_embedded_server_is_shared_by_concurrent_processes(tmp_path: Path) -> None:
    env = fanlens_env(data_dir=tmp_path / "data")
    first = run_cli("db", "upgrade", env=env, timeout=180)
    assert first.returncode == 0, first.stderr
    assert f"embedded PostgreSQL in {tmp_path / 'data' / 'pgdata'}" in first.stdout
    # Several fanlens processes at once against one data folder: all succeed, none corrupts.
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "fanlens", "workspace", "create", f"ws{i}"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(4)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
    listed = run_cli("workspace", "list", env=env)
    names = {line.split()[0] for line in listed.stdout.splitlines() if line.strip()}
    assert {"default", "ws0", "ws1", "ws2", "ws3"} <= names


def test_serve_answers_healthz(fresh_database_url: str) -> None:
    port = free_port()
    env = fanlens_env(database_url=fresh_database_url)
    proc = subprocess.Popen(
        [sys.executable, "-m", "fanlens", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        response = wait_for_http(f"http://127.0.0.1:{port}/healthz")
        assert response.status_code == 200
        assert response.json()["database"] == "ok"
        docs = wait_for_http(f"http://127.0.0.1:{port}/docs")
        assert docs.status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_serve_with_workers_shares_the_port_and_stops_them_all(fresh_database_url: str) -> None:
    import psutil

    port = free_port()
    env = fanlens_env(database_url=fresh_database_url)
    command = [sys.executable, "-m", "fanlens", "serve", "--no-migrate", "--port", str(port)]
    proc = subprocess.Popen([*command, "--workers", "2"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert wait_for_http(f"http://127.0.0.1:{port}/healthz").status_code == 200
        children = psutil.Process(proc.pid).children()  # the workers, multiprocessing's helper
        # Two web processes and exactly one job worker, whatever --workers says.
        assert len([c for c in children if "spawn_main" in " ".join(c.cmdline())]) == 3
        assert _job_workers(fresh_database_url) == 1
        for _ in range(8):  # new connections each time, whichever worker takes them
            assert wait_for_http(f"http://127.0.0.1:{port}/healthz").status_code == 200
        # A second server on the same port fails clearly instead of sharing the traffic.
        second = subprocess.run(
            [*command, "--workers", "2"], env=env, capture_output=True, text=True, timeout=120
        )
        assert second.returncode != 0
        assert f"cannot serve on 127.0.0.1:{port}" in second.stderr
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    _, alive = psutil.wait_procs(children, timeout=15)  # the helper leaves when the parent has
    assert not alive


def _job_workers(url: str) -> int:
    """Job workers registered in the queue, once the first has registered (bounded wait)."""
    engine = create_engine(url, poolclass=NullPool)
    query = text("SELECT count(*) FROM procrastinate_workers")
    deadline = time.monotonic() + 60
    with engine.connect() as conn:
        count = conn.execute(query).scalar() or 0
        while count == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
            count = conn.execute(query).scalar() or 0
    engine.dispose()
    return count


ROOT = Path(__file__).resolve().parents[1]
CONSOLE_SCRIPT = ".venv/bin/fanlens"  # what `make run` runs, from the project's folder


def test_serve_on_a_busy_port_fails_before_saying_it_serves(fresh_database_url: str) -> None:
    env = fanlens_env(database_url=fresh_database_url)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        for extra in ([], ["--demo", "--demo-size", "tiny"]):
            result = run_cli("serve", "--port", str(port), "--no-worker", *extra, env=env)
            assert result.returncode == 1, result.stdout + result.stderr
            error = " ".join(result.stderr.split())
            assert f"cannot serve on 127.0.0.1:{port}" in error
            assert "--port" in error and "stop what is listening there" in error
            assert "serving on" not in result.stdout
            assert "demo:" not in result.stdout  # refused before the demo's minute of work


def test_make_run_names_the_command_line(fresh_database_url: str) -> None:
    if not (ROOT / CONSOLE_SCRIPT).exists():
        pytest.skip(f"{CONSOLE_SCRIPT} is missing: `make install` makes it")
    port = free_port()
    env = fanlens_env(database_url=fresh_database_url)
    command = [CONSOLE_SCRIPT, "serve", "--no-migrate", "--no-worker", "--port", str(port)]
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert wait_for_http(f"http://127.0.0.1:{port}/healthz").status_code == 200
    finally:
        proc.terminate()
        stdout, stderr = proc.communicate(timeout=30)
    assert f"serving on http://127.0.0.1:{port}" in stdout, stderr
    assert "command line: .venv/bin/fanlens --help" in stdout


def test_help_names_every_platform_of_the_demo() -> None:
    for args in (["--help"], ["demo", "--help"]):
        result = invoke_cli(*args, env=fanlens_env())
        shown = " ".join(result.stdout.replace("│", " ").split())
        assert "each of 5 platforms: YouTube, Bluesky, Mastodon, Instagram and TikTok" in shown
