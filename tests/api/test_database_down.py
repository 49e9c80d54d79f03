"""Issue #21, finding 9: while PostgreSQL is down, API routes and pages answer 503 with
Retry-After (not 500), and answer again once it is back, without restarting fanlens.

The test runs a PostgreSQL server of its own (the embedded one, in a temporary folder) and stops
and starts only that one; `fanlens serve` runs on a real socket.
"""

from __future__ import annotations

import os
import pwd
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fanlens.db import embedded
from tests.api.conftest import API
from tests.helpers import fanlens_env, free_port, invoke_cli, wait_for_http

PASSWORD = "correct horse battery"

pytestmark = [
    pytest.mark.skipif(
        bool(os.environ.get("FANLENS_TEST_DATABASE_URL")),
        reason="stops an embedded server of its own",
    ),
    pytest.mark.xdist_group(name="own-server"),
]


def _pg_ctl(pgdata: Path, *args: str) -> None:
    from pgserver._commands import POSTGRES_BIN_PATH

    # As the data folder's owner (pgserver runs PostgreSQL as its own user under root); output
    # to /dev/null: a started server holds on to pipes.
    owner = pwd.getpwuid(pgdata.stat().st_uid).pw_name
    subprocess.run(
        [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(pgdata), "-w", *args], check=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        user=owner if owner != pwd.getpwuid(os.getuid()).pw_name else None, timeout=60,
    )  # fmt: skip


def _start(pgdata: Path) -> None:
    # The options the embedded server starts with: no TCP, its socket in the data folder.
    _pg_ctl(pgdata, "-o", '-h ""', "-o", f"-k {pgdata}", "-l", str(pgdata / "log"), "start")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, dict[str, str], Path]]:
    data = tmp_path / "own-postgres"
    url = embedded.ensure_server(data)
    env = fanlens_env(database_url=url)
    proc = None
    try:
        for args in (("db", "upgrade"), ("user", "create", "amy", "--password", PASSWORD)):
            done = invoke_cli(*args, env=env)
            assert done.returncode == 0, done.stderr
        token = invoke_cli("token", "create", "--scope", "write", "--name", "t", env=env)
        auth = {"Authorization": f"Bearer {token.stdout.strip().splitlines()[-1]}"}
        port = free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "fanlens", "serve", "--port", str(port), "--no-migrate"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        assert wait_for_http(f"{base}/healthz").status_code == 200
        yield base, auth, embedded.pgdata_path(data)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
        embedded.stop_server(data)


def _logged_in(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base)
    form = client.get("/login").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert csrf, form
    data = {"username": "amy", "password": PASSWORD, "csrf_token": csrf.group(1)}
    assert client.post("/login", data=data).status_code == 303
    return client


def test_database_down_is_503_with_retry_after_then_back(
    served: tuple[str, dict[str, str], Path],
) -> None:
    base, auth, pgdata = served
    browser = _logged_in(base)
    assert httpx.get(f"{base}{API}/followers", headers=auth).status_code == 200
    assert browser.get("/analytics").status_code == 200

    _pg_ctl(pgdata, "-m", "fast", "stop")
    try:
        api = httpx.get(f"{base}{API}/followers", headers=auth)
        assert api.status_code == 503, api.text
        assert api.json()["error"]["code"] == "unavailable"
        assert set(api.json()["error"]) == {"code", "message", "details"}
        assert int(api.headers["retry-after"]) > 0
        written = httpx.put(f"{base}{API}/scoring", headers=auth, json={"weights": {"like": 2}})
        assert written.status_code == 503
        page = browser.get("/analytics")
        assert page.status_code == 503 and int(page.headers["retry-after"]) > 0
        assert "text/html" in page.headers["content-type"] and "unavailable" in page.text
        assert httpx.get(f"{base}/healthz").status_code == 503
    finally:
        _start(pgdata)

    assert httpx.get(f"{base}{API}/followers", headers=auth).status_code == 200
    assert browser.get("/analytics").status_code == 200
