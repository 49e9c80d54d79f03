"""The scoring commands as a user runs them."""

from __future__ import annotations

from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from fanlens.workspaces import service as workspace_service
from tests.fixtures.builders import create_follower
from tests.helpers import fanlens_env, invoke_cli
from tests.scoring.helpers import T0, insert_batch


def test_scoring_set_show_score_and_explain(fresh_database_url: str) -> None:
    engine = create_engine(fresh_database_url, poolclass=NullPool)
    with Session(engine) as session:
        ws = workspace_service.get_by_name_or_raise(session=session, name="default")
        fan = create_follower(session, ws, username="creator_amy")
        insert_batch(session, [(fan, "comment", T0), (fan, "like", T0), (fan, "share", T0)])
        session.commit()
        fan_id = str(fan.id)
    env = fanlens_env(database_url=fresh_database_url)

    changed = invoke_cli(
        "scoring",
        "set",
        "--weight",
        "comment=6",
        "--tier",
        "super_fan=400",
        "--window",
        "36500",
        env=env,
    )
    assert changed.returncode == 0, changed.stderr
    assert "scoring config v2" in changed.stdout and "super_fan >= 400" in changed.stdout

    explained = invoke_cli("score", "explain", fan_id, env=env)
    assert explained.returncode == 0, explained.stderr
    assert "score 17 -> tier lurker" in explained.stdout
    assert "next tier: active, 83 points away" in explained.stdout
    assert "last 36500 days" in explained.stdout

    behaviour = "SELECT count(*) FROM follower_tier_changes WHERE kind = 'behaviour'"
    with engine.begin() as conn:
        replayed = conn.execute(text(behaviour)).scalar_one()
        conn.execute(text("DELETE FROM follower_tier_changes WHERE kind = 'behaviour'"))
    full = invoke_cli("score", "--full", env=env)
    assert full.returncode == 0, full.stderr
    assert "followers rescored under config v2" in full.stdout
    with engine.connect() as conn:  # the history lost, scores intact: --full replays it
        assert replayed > 0 and conn.execute(text(behaviour)).scalar_one() == replayed

    bad = invoke_cli("scoring", "set", "--tier", "lurker=900", env=env)
    assert bad.returncode == 1 and "super_fan > active > lurker" in bad.stderr
    shown = invoke_cli("scoring", "show", "--history", env=env)
    assert "scoring config v1" in shown.stdout and "scoring config v2" in shown.stdout
    with engine.connect() as conn:
        kinds = conn.execute(text("SELECT kind FROM scoring_runs ORDER BY started_at")).scalars()
        assert sorted(kinds) == ["config", "manual"]
    engine.dispose()
