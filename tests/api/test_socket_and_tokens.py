"""As a user would: tokens from the CLI, `fanlens serve` on a real socket, curl-like calls."""

from __future__ import annotations

import csv
import io
import subprocess
import sys

import httpx

from tests.api.conftest import API
from tests.helpers import fanlens_env, free_port, invoke_cli, wait_for_http


def test_cli_tokens_against_a_served_api(fresh_database_url: str) -> None:
    env = fanlens_env(database_url=fresh_database_url)
    created = invoke_cli("token", "create", "--scope", "write", "--name", "ci", env=env)
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("fl_") and " " not in token
    listed = invoke_cli("token", "list", env=env)
    rows = [line.split("\t") for line in listed.stdout.splitlines()[1:]]
    token_id = next(row[0] for row in rows if row[2] == "ci")
    assert token not in listed.stdout  # the secret is never shown again

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "fanlens", "serve", "--port", str(port), "--no-migrate"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_for_http(f"{base}/healthz").status_code == 200
        auth = {"Authorization": f"Bearer {token}"}
        listed_json = httpx.get(f"{base}{API}/followers", headers=auth)
        assert listed_json.status_code == 200 and listed_json.json()["items"] == []
        assert listed_json.headers["x-request-id"]
        exported = httpx.get(f"{base}{API}/content", headers={**auth, "Accept": "text/csv"})
        header = next(csv.reader(io.StringIO(exported.text)))
        assert header[:3] == ["id", "slug", "title"]
        assert httpx.get(f"{base}{API}/content").status_code == 401

        revoked = invoke_cli("token", "revoke", token_id, env=env)
        assert revoked.returncode == 0, revoked.stderr
        after = httpx.get(f"{base}{API}/followers", headers=auth)
        assert after.status_code == 401
        assert after.json()["error"]["code"] == "unauthorized"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
