"""`fanlens outreach …` as a user runs it, and the /outreach API routes."""

from __future__ import annotations

import csv
import io
import json
import uuid
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from fanlens.auth import service as auth_service
from fanlens.server.app import create_app
from tests.fixtures.builders import create_workspace
from tests.helpers import fanlens_env, invoke_cli
from tests.outreach.helpers import fan, person

API = "/api/social-analytics/outreach"


def _seed(url: str) -> tuple[str, uuid.UUID, list[uuid.UUID]]:
    engine = create_engine(url, poolclass=NullPool)
    with Session(engine) as s:
        ws = create_workspace(s)
        people = [person(s, fan(s, ws, n)) for n in ("ada", "bo", "cy")]
        fan(s, ws, "lurky", clicks=1)
        s.commit()
        found = ws.name, ws.id, people
    engine.dispose()
    return found


def test_cli_segments_campaign_dry_run_send_status_export(
    fresh_database_url: str, tmp_path: Path
) -> None:
    name, _, people = _seed(fresh_database_url)
    env = fanlens_env(database_url=fresh_database_url)

    def cli(*args: str) -> str:
        result = invoke_cli("outreach", *args, "--workspace", name, env=env)
        assert result.returncode == 0, result.stderr + result.stdout
        return result.stdout

    assert "3 people now" in cli("segments", "create", "supers", "--tier", "super_fan")
    assert len(cli("segments", "show", "supers").splitlines()) == 3
    cli("opt-out", str(people[1]), "--reason", "asked us")
    cli("settings", "--time-zone", "Europe/Paris", "--daily-cap", "csv=100")
    cli("campaigns", "create", "thanks", "--segment", "supers", "--channel", "csv",
        "--template", "Thank you {{ name }}!")  # fmt: skip
    dry = json.loads(cli("campaigns", "dry-run", "thanks", "--json"))
    assert sorted(m["body"] for m in dry["messages"]) == ["Thank you ada!", "Thank you cy!"]
    assert dry["left_out"] == [
        {"person_id": str(people[1]), "name": "bo", "reason": "opted out (every channel): asked us"}
    ]
    assert "sent 2, failed 0, skipped 0" in cli("campaigns", "send", "thanks", "--inline")
    status = cli("campaigns", "status", "thanks")
    assert status.splitlines()[0] == "# thanks (csv) done: sent 2, skipped 1"
    out = tmp_path / "thanks.csv"
    cli("campaigns", "export", "thanks", "--output", str(out))
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert sorted(r["status"] for r in rows) == ["sent", "sent", "skipped"]
    assert "\tsent\t" in cli("campaigns", "log", "thanks")
    bad = invoke_cli("outreach", "campaigns", "create", "x", "--segment", "supers", "--channel",
                  "csv", "--template", "{{ nope }}", "--workspace", name, env=env)  # fmt: skip
    assert bad.returncode == 1 and "template" in bad.stderr
    again = invoke_cli("outreach", "campaigns", "send", "thanks", "--workspace", name, env=env)
    assert again.returncode == 1 and "already" in again.stderr


def test_api_routes(fresh_database_url: str) -> None:
    _, ws_id, people = _seed(fresh_database_url)
    engine = create_engine(fresh_database_url, poolclass=NullPool)
    with Session(engine) as s:
        read = auth_service.create(session=s, workspace_id=ws_id, name="r", scope="read").secret
        write = auth_service.create(session=s, workspace_id=ws_id, name="w", scope="write").secret
        other = create_workspace(s)
        stranger = auth_service.create(session=s, workspace_id=other.id, name="o",
                                       scope="write").secret  # fmt: skip
        s.commit()
    client = TestClient(create_app(engine))
    w = {"Authorization": f"Bearer {write}"}
    r = {"Authorization": f"Bearer {read}"}

    segment = {"name": "supers", "filters": {"tiers": ["super_fan"]}}
    assert client.post(f"{API}/segments", json=segment, headers=r).status_code == 403
    assert client.post(f"{API}/segments", json=segment, headers=w).status_code == 201
    assert client.post(f"{API}/segments", json=segment, headers=w).status_code == 409
    body = {"name": "c1", "segment": "supers", "channel": "csv", "template": "Hi {{ handle }}"}
    created = client.post(f"{API}/campaigns", json=body, headers=w)
    assert created.status_code == 201, created.text
    cid = created.json()["id"]
    bad = {**body, "name": "c2", "template": "{{ x.__class__ }}"}
    assert client.post(f"{API}/campaigns", json=bad, headers=w).status_code == 422
    nul = {**body, "name": "c3", "options": {"note": {"x": "a\x00b"}}}  # jsonb cannot hold it
    refused = client.post(f"{API}/campaigns", json=nul, headers=w)
    assert refused.status_code == 422 and "options.note.x" in refused.text
    assert client.post(f"{API}/opt-outs", json={"person_id": str(people[0]), "channel": "csv"},
                       headers=w).status_code == 204  # fmt: skip
    preview = client.get(f"{API}/campaigns/{cid}/preview?limit=1", headers=r).json()
    assert len(preview["messages"]) == 1
    dry = client.get(f"{API}/campaigns/{cid}/dry-run", headers=r).json()
    assert sorted(m["body"] for m in dry["messages"]) == ["Hi bo", "Hi cy"]
    assert [lo["reason"] for lo in dry["left_out"]] == ["opted out (csv)"]
    assert client.get(f"{API}/campaigns/{cid}", headers={"Authorization": f"Bearer {stranger}"}
                      ).status_code == 404  # fmt: skip
    sent = client.post(f"{API}/campaigns/{cid}/send", json={}, headers=w)
    assert sent.status_code == 202 and sent.json()["counts"] == {"queued": 2, "skipped": 1}
    assert client.post(f"{API}/campaigns/{cid}/send", json={}, headers=w).status_code == 409
    events = client.get(f"{API}/campaigns/{cid}/events", headers=r).json()
    assert sorted(e["event"] for e in events) == ["queued", "queued", "skipped"]
    exported = client.get(f"{API}/campaigns/{cid}/export.csv", headers=r)
    assert len(list(csv.DictReader(io.StringIO(exported.text)))) == 3
    patched = client.patch(f"{API}/settings", json={"time_zone": "Nowhere/Land"}, headers=w)
    assert patched.status_code == 422
    patched = client.patch(f"{API}/settings", json={"cooldown_days": 3}, headers=w)
    assert patched.json()["cooldown_days"] == 3
    assert client.put(f"{API}/addresses", json={"person_id": str(people[1]),
                      "email": "bo@example.test"}, headers=w).status_code == 204  # fmt: skip
    engine.dispose()
