"""The sentiment commands as a user runs them, and the API routes."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from fanlens.auth import service as auth_service
from fanlens.sentiment import runner
from fanlens.server.app import create_app
from tests.fixtures.builders import create_follower, create_workspace
from tests.helpers import fanlens_env, invoke_cli
from tests.sentiment.helpers import NEGATIVE, POSITIVE, comment, content_with_post

API = "/api/social-analytics/sentiment"


def _seed(url: str) -> tuple[str, uuid.UUID, uuid.UUID, uuid.UUID]:
    engine = create_engine(url, poolclass=NullPool)
    with Session(engine) as s:
        ws = create_workspace(s)
        post = content_with_post(s, ws)
        fan = create_follower(s, ws, platform="youtube")
        happy = comment(s, fan, post, "Oh great, another ad. Love that for us.")
        comment(s, fan, post, NEGATIVE)
        comment(s, fan, post, "How long did you steep it?")
        s.commit()
        found = (ws.name, happy, post.content_id, ws.id)
    engine.dispose()
    return found


def test_analyze_writes_jsonl(tmp_path: Path) -> None:
    source = tmp_path / "texts.txt"
    source.write_text(f"{POSITIVE}\n{NEGATIVE}\nMe encanta este video, muchas gracias\n")
    result = invoke_cli("sentiment", "analyze", str(source), env=fanlens_env())
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["label"], r["language"]) for r in lines] == [
        ("positive", "en"), ("negative", "en"), ("unsupported_language", "es"),
    ]  # fmt: skip
    assert set(lines[0]) == {"text", "label", "score", "language", "analyser"}
    piped = invoke_cli("sentiment", "analyze", "-", env=fanlens_env(), input_text="I hate it\n")
    assert json.loads(piped.stdout)["label"] == "negative"


def test_analyze_pending_correct_reanalyse_and_export(
    fresh_database_url: str, tmp_path: Path
) -> None:
    name, happy, _, _ = _seed(fresh_database_url)
    env = fanlens_env(database_url=fresh_database_url)
    first = invoke_cli("sentiment", "analyze-pending", "--workspace", name, env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("3 comment(s) analysed")
    fixed = invoke_cli("sentiment", "correct", str(happy), "negative", "-w", name, env=env)
    assert fixed.returncode == 0, fixed.stderr
    assert "positive (vader) -> negative" in fixed.stdout
    bad = invoke_cli("sentiment", "correct", str(happy), "angry", "-w", name, env=env)
    assert bad.returncode == 1 and "label must be" in bad.stderr
    again = invoke_cli("sentiment", "analyze-pending", "--all", "-w", name, env=env)
    assert again.stdout.startswith("3 comment(s) analysed"), again.stderr
    out = tmp_path / "labels.jsonl"
    export = invoke_cli("sentiment", "export-labels", "-o", str(out), "-w", name, env=env)
    assert export.returncode == 0, export.stderr
    [record] = [json.loads(line) for line in out.read_text().splitlines()]
    assert (record["interaction_id"], record["label"], record["analyser_label"]) == (
        str(happy), "negative", "positive",
    )  # fmt: skip


def test_api_summary_questions_and_correction(fresh_database_url: str) -> None:
    _, happy, content_id, ws_id = _seed(fresh_database_url)
    engine = create_engine(fresh_database_url, poolclass=NullPool)
    runner.analyse_pending(workspace_id=ws_id, engine=engine)
    with Session(engine) as s:
        read = auth_service.create(session=s, workspace_id=ws_id, name="r", scope="read").secret
        write = auth_service.create(session=s, workspace_id=ws_id, name="w", scope="write").secret
        s.commit()
    client = TestClient(create_app(engine))
    as_reader = {"Authorization": f"Bearer {read}"}
    summary = client.get(f"{API}/content/{content_id}?bucket=week", headers=as_reader).json()
    assert (summary["total"], summary["negative"], summary["questions"]) == (3, 1, 1)
    assert [q["text"] for q in summary["unanswered_questions"]] == ["How long did you steep it?"]
    assert summary["trend"][0]["total"] == 3
    body = {"label": "negative"}
    denied = client.put(f"{API}/comments/{happy}", json=body, headers=as_reader)
    assert denied.status_code == 403
    done = client.put(
        f"{API}/comments/{happy}", json=body, headers={"Authorization": f"Bearer {write}"}
    )
    assert done.status_code == 200 and done.json()["label"] == "negative"
    assert done.json()["corrected_by"].startswith("token:")
    bad = client.put(
        f"{API}/comments/{happy}",
        json={"label": "meh"},
        headers={"Authorization": f"Bearer {write}"},
    )
    assert bad.status_code == 422
    missing = client.put(
        f"{API}/comments/{uuid.uuid4()}", json=body, headers={"Authorization": f"Bearer {write}"}
    )
    assert missing.status_code == 404
    after = client.get(f"{API}/content/{content_id}", headers=as_reader).json()
    assert after["negative"] == 2
    detail = client.get(f"/api/social-analytics/content/{content_id}", headers=as_reader).json()
    assert detail["sentiment"] == {k: after[k] for k in detail["sentiment"]}  # the same summary
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM comment_sentiments")).scalar() == 3
    engine.dispose()


def test_the_job_is_queued_once_per_workspace_when_a_queue_exists(fresh_database_url: str) -> None:
    from fanlens.db.queue import ensure_schema

    ensure_schema(fresh_database_url)
    _, _, _, ws_id = _seed(fresh_database_url)
    engine = create_engine(fresh_database_url, poolclass=NullPool)
    assert runner.defer_analysis(ws_id, engine=engine) is True
    assert runner.defer_analysis(ws_id, engine=engine) is True  # one waiting job is enough
    with engine.connect() as conn:
        jobs = conn.execute(
            text("SELECT task_name, args FROM procrastinate_jobs WHERE status = 'todo'")
        ).all()
    assert [(j.task_name, j.args) for j in jobs] == [
        ("fanlens:analyse_comments", {"workspace_id": str(ws_id)})
    ]
    with engine.begin() as conn:  # a worker ran it; the next ingest queues a job again
        conn.execute(text("UPDATE procrastinate_jobs SET status = 'succeeded'"))
    assert runner.defer_analysis(ws_id, engine=engine) is True
    with engine.connect() as conn:
        names = conn.execute(
            text("SELECT task_name FROM procrastinate_jobs WHERE status = 'todo'")
        ).scalars().all()  # fmt: skip
    assert names == ["fanlens:analyse_comments"]  # a worker knows it (not fanlens:fanlens:…)
    engine.dispose()
