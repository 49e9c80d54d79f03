"""People over real HTTP (uvicorn on a socket) and through the CLI as a subprocess."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from fanlens.auth import service as auth_service
from fanlens.demo.generate import generate_world
from fanlens.server.app import create_app
from fanlens.workspaces import service as workspace_service
from tests.connectors.asgi_server import serve
from tests.fixtures.builders import create_follower, create_workspace
from tests.helpers import fanlens_env, invoke_cli
from tests.people.helpers import load

API = "/api/social-analytics/people"


@dataclass
class Served:
    base: str
    headers: dict[str, str]
    other_headers: dict[str, str]
    other_person: uuid.UUID


@pytest.fixture
def served(fresh_database_url: str) -> Iterator[Served]:
    engine = create_engine(fresh_database_url)
    with Session(engine, expire_on_commit=False) as session:
        ws, other = create_workspace(session, "main"), create_workspace(session, "other")
        load(session, workspace_id=ws.id, world=generate_world("tiny", seed=11))
        stranger = create_follower(session, other, platform="youtube", username="stranger")
        token = auth_service.create(session=session, workspace_id=ws.id, name="t", scope="write")
        other_token = auth_service.create(
            session=session, workspace_id=other.id, name="o", scope="write"
        )
        session.commit()
    with serve(create_app(engine)) as base:
        yield Served(
            base,
            {"Authorization": f"Bearer {token.secret}"},
            {"Authorization": f"Bearer {other_token.secret}"},
            stranger.id,
        )
    engine.dispose()


def test_people_api_merge_and_undo(served: Served) -> None:
    with httpx.Client(base_url=served.base, headers=served.headers) as http:
        top = http.get(API, params={"limit": 3}).json()
        assert top["mode"] == "people" and len(top["items"]) == 3
        first, second = (item["person_id"] for item in top["items"][:2])
        combined = top["items"][0]["engagement_score"] + top["items"][1]["engagement_score"]

        merged = http.post(
            f"{API}/merges", json={"target_person_id": first, "source_person_id": second}
        )
        assert merged.status_code == 201, merged.text
        detail = http.get(f"{API}/{first}").json()
        assert detail["score"]["engagement_score"] == pytest.approx(combined)
        assert len(detail["identities"]) == 2 and len(detail["merges"]) == 1
        assert detail["timeline"] and detail["identities"][0]["reach_tier"] in ("nano", "micro")

        undone = http.post(f"{API}/merges/{merged.json()['id']}/undo")
        assert undone.status_code == 200 and undone.json()["unmerged_at"]
        again = http.post(f"{API}/merges/{merged.json()['id']}/undo")
        assert again.status_code == 409
        assert len(http.get(f"{API}/{first}").json()["identities"]) == 1

        # Another workspace's person does not exist here: no merge across workspaces.
        across = http.post(
            f"{API}/merges",
            json={"target_person_id": first, "source_person_id": str(served.other_person)},
        )
        assert across.status_code == 404
    with httpx.Client(base_url=served.base, headers=served.other_headers) as http:
        assert http.get(f"{API}/{first}").status_code == 404


def test_suggestions_api(served: Served) -> None:
    with httpx.Client(base_url=served.base, headers=served.headers) as http:
        run = http.post(f"{API}/suggestions/refresh").json()
        assert run["candidates"] >= run["auto_merged"] >= 0
        pending = http.get(f"{API}/suggestions").json()
        for s in pending:
            assert s["status"] == "pending" and s["confidence"] < run["threshold"]
        if pending:
            decided = http.post(
                f"{API}/suggestions/{pending[0]['id']}", json={"decision": "reject"}
            )
            assert decided.json()["status"] == "rejected"
        assert http.get(f"{API}/suggestions", params={"status": "bogus"}).status_code == 422


def test_people_cli(fresh_database_url: str) -> None:
    engine = create_engine(fresh_database_url)
    with Session(engine) as session:
        ws = workspace_service.get_by_name_or_raise(session=session, name="default")
        a = create_follower(
            session, ws, platform="tiktok", username="amy_brew1", display_name="Amy"
        )
        b = create_follower(
            session, ws, platform="youtube", username="amy_brew1", display_name="Amy"
        )
        session.commit()
        a_id, b_id = a.id, b.id
    env = fanlens_env(database_url=fresh_database_url)
    listed = invoke_cli("people", "suggestions", "--refresh", env=env)
    assert listed.returncode == 0, listed.stderr
    assert "same_handle" in listed.stdout and "pending" in listed.stdout
    merged = invoke_cli("people", "merge", str(a_id), str(b_id), env=env)
    assert merged.returncode == 0, merged.stderr
    merge_id = merged.stdout.strip().split()[-1]
    with engine.connect() as conn:
        person = conn.execute(
            text("SELECT person_id FROM person_identities WHERE follower_id = :b"), {"b": b_id}
        ).scalar_one()
    assert person == a_id
    undone = invoke_cli("people", "unmerge", merge_id, env=env)
    assert undone.returncode == 0, undone.stderr
    with engine.connect() as conn:
        person = conn.execute(
            text("SELECT person_id FROM person_identities WHERE follower_id = :b"), {"b": b_id}
        ).scalar_one()
    assert person == b_id
    bad = invoke_cli("people", "unmerge", "not-a-uuid", env=env)
    assert bad.returncode != 0 and "UUID" in (bad.stderr + bad.stdout)
    engine.dispose()
