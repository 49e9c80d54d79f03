"""POST ingest with lines the database cannot hold, over a real socket: 200, never 500."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx

from tests.helpers import fanlens_env, free_port, invoke_cli, wait_for_http

API = "/api/social-analytics"


def _comment(n: int) -> dict[str, object]:
    return {
        "type": "interaction",
        "platform": "tiktok",
        "interaction_type": "comment",
        "external_id": f"c{n}",
        "text": f"comment {n}",
        "occurred_at": "2026-11-02T15:00:00Z",
        "user": {"external_user_id": f"u{n}"},
    }


HOSTILE: list[dict[str, object]] = [
    {"type": "post", "platform": "tiktok", "external_post_id": "p1", "metrics": {"views": 10**30}},
    {"type": "follower", "platform": "tiktok", "external_user_id": "f1", "follower_count": 10**20},
    {**_comment(90), "external_id": "c\x0090"},
    {**_comment(91), "occurred_at": "9999-12-31T23:59:59-05:00"},
]


def test_ingest_answers_200_with_unstorable_lines_rejected(fresh_database_url: str) -> None:
    env = fanlens_env(database_url=fresh_database_url)
    created = invoke_cli("token", "create", "--scope", "write", env=env)
    assert created.returncode == 0, created.stderr
    auth = {"Authorization": f"Bearer {created.stdout.strip().splitlines()[-1]}"}
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "fanlens", "serve", "--port", str(port), "--no-migrate"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_for_http(f"{base}/healthz").status_code == 200
        records = [_comment(1), *HOSTILE, _comment(2)]
        lines = "\n".join(json.dumps(r) for r in records) + "\n"
        as_lines = httpx.post(
            f"{base}{API}/ingest",
            content=lines.encode(),
            headers={**auth, "Content-Type": "application/x-ndjson"},
            timeout=60,
        )
        assert as_lines.status_code == 200, as_lines.text
        body = as_lines.json()
        assert body["interactions_inserted"] == 2
        assert [(r["line"], r["reason"]) for r in body["rejects"]] == [
            (2, "out_of_range"),
            (3, "out_of_range"),
            (4, "nul_character"),
            (5, "bad_timestamp"),
        ]
        as_array = httpx.post(
            f"{base}{API}/ingest", json=[*HOSTILE, _comment(3)], headers=auth, timeout=60
        )
        assert as_array.status_code == 200, as_array.text
        assert as_array.json()["interactions_inserted"] == 1
        assert len(as_array.json()["rejects"]) == len(HOSTILE)

        key = {"type": "interaction", "platform": "tiktok", "interaction_type": "comment"}
        changes = [
            {**key, "external_id": "c1", "deleted": True},
            {**key, "external_id": "c2", "text": "edited", "edited_at": "2026-11-03T00:00:00Z"},
            {**key, "external_id": "c9", "deleted": "yes"},
            {**key, "external_id": "c404", "deleted": True},
        ]
        changed = httpx.post(f"{base}{API}/ingest", json=changes, headers=auth, timeout=60)
        assert changed.status_code == 200, changed.text
        counts = {k: changed.json()[k] for k in ("interactions_deleted", "interactions_edited")}
        assert counts == {"interactions_deleted": 1, "interactions_edited": 1}
        assert changed.json()["changes_waiting"] == 1
        assert [(r["line"], r["reason"]) for r in changed.json()["rejects"]] == [(3, "wrong_type")]
        again = httpx.post(
            f"{base}{API}/ingest", json=[_comment(1), _comment(404)], headers=auth, timeout=60
        )
        assert again.json()["interactions_inserted"] == 0  # both deleted: never stored
        assert again.json()["interactions_already_present"] == 2
        activity = httpx.get(
            f"{base}{API}/activity", params={"type": "comment"}, headers=auth, timeout=60
        )
        texts = sorted(item["interaction_value"] for item in activity.json()["items"])
        assert texts == ["comment 3", "edited"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
