"""Audience analytics as a user reaches it: the `fanlens content` commands and the API routes
(JSON and CSV), on a database of the test's own."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from fanlens.auth import service as auth_service
from fanlens.content.models import ContentPost
from fanlens.server.app import create_app
from tests.fixtures.builders import (
    create_content,
    create_follower,
    create_post,
    create_workspace,
    interact,
)
from tests.helpers import fanlens_env, invoke_cli

API = "/api/social-analytics"
WHEN = datetime(2026, 11, 2, 9, tzinfo=UTC)


def _seed(url: str) -> dict[str, object]:
    engine = create_engine(url, poolclass=NullPool)
    with Session(engine) as s:
        ws = create_workspace(s)
        a, b = create_content(s, ws, slug="a"), create_content(s, ws, slug="b")
        tt = create_post(s, a, platform="tiktok", caption="Oat milk latte, barista secrets",
                         posted_at=WHEN, views=100, likes=10)  # fmt: skip
        ig = create_post(s, b, platform="instagram", caption="oat milk latte: barista secrets",
                         posted_at=WHEN.replace(hour=15), views=50, likes=10)  # fmt: skip
        fan = create_follower(s, ws, platform="tiktok", username="fan")
        for day in (3, 10, 24):
            interact(s, fan, "like", post=tt, occurred_at=WHEN.replace(day=day))
        token = auth_service.create(session=s, workspace_id=ws.id, name="t", scope="write").secret
        s.commit()
        seeded = {"ws": ws.name, "tt": tt.id, "ig": ig.id, "a": a.id, "b": b.id, "token": token}
    engine.dispose()
    return seeded


def _content_of(url: str, post_id: object) -> uuid.UUID:
    engine = create_engine(url, poolclass=NullPool)
    with Session(engine) as s:
        found = s.scalar(select(ContentPost.content_id).where(ContentPost.id == post_id))
    engine.dispose()
    assert found is not None
    return found


def test_content_link_commands(fresh_database_url: str) -> None:
    w = _seed(fresh_database_url)
    env = fanlens_env(fresh_database_url)
    listed = invoke_cli("content", "suggestions", "-w", str(w["ws"]), env=env)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.strip().splitlines()
    assert lines[1].split("\t")[:2] == [str(w["tt"]), str(w["ig"])]

    linked = invoke_cli("content", "link", str(w["tt"]), str(w["ig"]), "-w", str(w["ws"]), env=env)
    assert linked.returncode == 0, linked.stderr
    assert _content_of(fresh_database_url, w["ig"]) == w["a"]
    unlinked = invoke_cli("content", "unlink", str(w["ig"]), "-w", str(w["ws"]), env=env)
    assert unlinked.returncode == 0, unlinked.stderr
    assert _content_of(fresh_database_url, w["ig"]) == w["b"]
    again = invoke_cli("content", "suggestions", "-w", str(w["ws"]), env=env)
    assert again.stdout.strip().splitlines()[1:] == []
    missing = invoke_cli("content", "unlink", str(uuid.uuid4()), "-w", str(w["ws"]), env=env)
    assert missing.returncode == 1 and "was not moved by a link" in missing.stderr


def test_api_routes(fresh_database_url: str) -> None:
    w = _seed(fresh_database_url)
    engine = create_engine(fresh_database_url)
    auth = {"Authorization": f"Bearer {w['token']}"}
    with TestClient(create_app(engine)) as client:
        params = {"periods": 4, "as_of": "2026-11-25"}
        matrix = client.get(f"{API}/retention", params=params, headers=auth).json()
        assert [(c["size"], [x["followers"] for x in c["cells"]]) for c in matrix["cohorts"]] == [
            (1, [1, 1, 0, 1]),
            (0, [0, 0, 0]),
            (0, [0, 0]),
            (0, [0]),
        ]
        text = client.get(f"{API}/retention", params={**params, "format": "csv"}, headers=auth)
        rows = list(csv.DictReader(io.StringIO(text.text)))
        assert [r["followers"] for r in rows if r["cohort"] == "2026-11-02"] == ["1", "1", "0", "1"]
        assert [r["rate"] for r in rows if r["cohort"] == "mean"] == ["1.0", "1.0", "0.0", "1.0"]
        people = client.get(
            f"{API}/retention/people", params={"cohort": "2026-11-02", "period": 3}, headers=auth
        ).json()["items"]
        assert [p["username"] for p in people] == ["fan"]

        best = client.get(f"{API}/content/{w['a']}/best-platform", headers=auth).json()
        assert best["most_engagement"] == "tiktok" and best["normalised"] == "tiktok"
        unknown = client.get(f"{API}/content/{uuid.uuid4()}/best-platform", headers=auth)
        assert unknown.status_code == 404
        times = client.get(f"{API}/best-time", headers=auth).json()
        assert [(c["platform"], c["weekday"], c["hour"]) for c in times["cells"]] == [
            ("instagram", 1, 15),
            ("tiktok", 1, 9),
        ]
        bad_zone = client.get(f"{API}/best-time", params={"tz": "Nope/Zone"}, headers=auth)
        assert bad_zone.status_code == 422
        moves = client.get(f"{API}/tier-movement", params={"format": "csv"}, headers=auth)
        assert moves.status_code == 200 and moves.text.startswith("period,from_tier")

        found = client.get(f"{API}/content-links/suggestions", headers=auth).json()["items"]
        assert len(found) == 1
        body = {"post_id": str(w["tt"]), "other_post_id": str(w["ig"]), "decision": "rejected"}
        decided = client.post(f"{API}/content-links", json=body, headers=auth)
        assert decided.status_code == 200 and decided.json()["decision"] == "rejected"
        assert client.get(f"{API}/content-links/suggestions", headers=auth).json()["items"] == []
    engine.dispose()


def test_link_all_command(fresh_database_url: str) -> None:
    w = _seed(fresh_database_url)
    env = fanlens_env(fresh_database_url)
    ws = ["-w", str(w["ws"])]
    counted = invoke_cli(
        "content", "link-all", "--min-similarity", "0.9", "--dry-run", *ws, env=env
    )
    assert counted.returncode == 0, counted.stderr
    assert counted.stdout.startswith("1 suggestions at or above 0.9")
    assert _content_of(fresh_database_url, w["ig"]) == w["b"]

    linked = invoke_cli("content", "link-all", "--min-similarity", "0.9", *ws, env=env)
    assert linked.returncode == 0, linked.stderr
    assert linked.stdout.startswith("linked 1 pairs, skipped 0")
    assert _content_of(fresh_database_url, w["ig"]) == w["a"]
    bad = invoke_cli("content", "link-all", "--min-similarity", "1.5", *ws, env=env)
    assert bad.returncode == 2


def test_bulk_link_routes(fresh_database_url: str) -> None:
    w = _seed(fresh_database_url)
    engine = create_engine(fresh_database_url)
    with Session(engine) as s:
        ws = s.scalar(select(ContentPost.workspace_id).where(ContentPost.id == w["tt"]))
        assert ws is not None
        read = auth_service.create(session=s, workspace_id=ws, name="r", scope="read").secret
        s.commit()
    auth = {"Authorization": f"Bearer {w['token']}"}
    pair = {"post_id": str(w["tt"]), "other_post_id": str(w["ig"]), "other_content_id": str(w["b"])}
    with TestClient(create_app(engine)) as client:
        bulk = f"{API}/content-links/bulk"
        refused = client.post(
            bulk, json={"pairs": [pair]}, headers={"Authorization": f"Bearer {read}"}
        )
        assert refused.status_code == 403
        for body in ({}, {"pairs": [pair], "min_similarity": 0.9}, {"min_similarity": 1.2},
                     {"pairs": [pair] * 501}, {"pairs": []}):  # fmt: skip
            assert client.post(bulk, json=body, headers=auth).status_code == 422, body

        done = client.post(bulk, json={"pairs": [pair]}, headers=auth)
        assert done.status_code == 200, done.text
        assert [d["moved_post_id"] for d in done.json()["linked"]] == [str(w["ig"])]
        assert _content_of(fresh_database_url, w["ig"]) == w["a"]
        again = client.post(bulk, json={"pairs": [pair]}, headers=auth).json()
        assert again["linked"] == [] and [s["reason"] for s in again["skipped"]] == ["linked"]
        by_similarity = client.post(bulk, json={"min_similarity": 0.5}, headers=auth).json()
        assert by_similarity == {"linked": [], "skipped": [], "left_over": 0}

        unlink = f"{API}/content-links/unlink"
        gone = str(uuid.uuid4())
        undone = client.post(unlink, json={"post_ids": [str(w["ig"]), gone]}, headers=auth)
        assert undone.status_code == 200, undone.text
        assert [d["moved_post_id"] for d in undone.json()["unlinked"]] == [str(w["ig"])]
        assert undone.json()["skipped"] == [{"post_id": gone, "reason": "not_linked"}]
        assert _content_of(fresh_database_url, w["ig"]) == w["b"]
        assert client.post(unlink, json={"post_ids": []}, headers=auth).status_code == 422
    engine.dispose()
