"""POST ingest: JSON array or JSON lines, write scope, per-line summary, then readable."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from fanlens.server.app import create_app
from tests.api.conftest import API, World

RECORDS = [
    {"type": "post", "platform": "bluesky", "external_post_id": "bp1",
     "content": {"key": "brew-bsky", "title": "Cold brew on Bluesky"},
     "posted_at": "2026-11-21T10:00:00Z"},
    {"type": "follower", "platform": "bluesky", "external_user_id": "u-nia", "username": "nia"},
    {"type": "interaction", "platform": "bluesky", "interaction_type": "comment",
     "user": {"external_user_id": "u-nia"}, "external_post_id": "bp1", "external_id": "c1",
     "text": "first!", "occurred_at": "2026-11-21T11:00:00Z"},
]  # fmt: skip


def test_ingest_json_and_jsonl(fuzz_world: World) -> None:
    with TestClient(create_app(fuzz_world.engine)) as client:
        url = API + "/ingest"
        denied = client.post(url, json=RECORDS, headers=fuzz_world.headers("a_read"))
        assert denied.status_code == 403
        stored = client.post(url, json=RECORDS, headers=fuzz_world.headers("a_write"))
        assert stored.status_code == 200, stored.text
        body = stored.json()
        assert body["lines"] == 3 and body["interactions_inserted"] == 1 and body["rejects"] == []
        lines = "\n".join(json.dumps(r) for r in RECORDS) + "\n{not json\n"
        again = client.post(
            url,
            content=lines.encode(),
            headers={**fuzz_world.headers("a_write"), "Content-Type": "application/x-ndjson"},
        ).json()
        assert again["interactions_already_present"] == 1 and again["interactions_inserted"] == 0
        assert [r["line"] for r in again["rejects"]] == [4]
        activity = client.get(
            API + "/activity", params={"username": "@nia"}, headers=fuzz_world.headers()
        ).json()
        assert [a["interaction_value"] for a in activity["items"]] == ["first!"]
