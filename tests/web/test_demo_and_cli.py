"""`fanlens demo` pulls a world through the simulators; `fanlens user create` makes a login."""

from __future__ import annotations

import re
import signal
import statistics
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from tests.helpers import fanlens_env, interruptible, invoke_cli, run_cli

# Platforms of each of the top 20 content items by engagement (likes + comments + shares + saves).
TOP_ITEMS_PLATFORMS = """
    SELECT count(DISTINCT platform) FROM content_posts GROUP BY content_id
    ORDER BY sum(coalesce(likes, 0) + coalesce(comments, 0) + coalesce(shares, 0)
                 + coalesce(saves, 0)) DESC, content_id
    LIMIT 20"""
# Interactions with the platform's own time per calendar week, from the first week to the last.
WEEKLY_EXACT = """
    SELECT count(i.id) FROM generate_series(
        (SELECT date_trunc('week', min(occurred_at)) FROM follower_interactions
         WHERE time_precision = 'exact'),
        (SELECT date_trunc('week', max(occurred_at)) FROM follower_interactions
         WHERE time_precision = 'exact'),
        interval '1 week') AS w(week)
    LEFT JOIN follower_interactions i
      ON i.time_precision = 'exact' AND date_trunc('week', i.occurred_at) = w.week
    GROUP BY w.week ORDER BY w.week"""
# Super fans whose behaviour tier history falls outside the span of their own interactions.
SUPER_FANS_HISTORY_OUTSIDE = """
    SELECT count(*) FROM follower_engagement_scores s
    JOIN LATERAL (SELECT min(changed_at) AS first, max(changed_at) AS last
                  FROM follower_tier_changes c
                  WHERE c.follower_id = s.follower_id AND c.kind = 'behaviour') h ON true
    JOIN LATERAL (SELECT min(occurred_at) AS first, max(occurred_at) AS last
                  FROM follower_interactions i WHERE i.follower_id = s.follower_id) a ON true
    WHERE s.engagement_tier = 'super_fan'
      AND (h.first IS NULL OR h.first < a.first OR h.last > a.last)"""


@pytest.mark.slow
@pytest.mark.xdist_group(name="big-world")
def test_demo_syncs_through_the_simulators_then_reuses_the_data(
    fresh_database_url: str, tmp_path: Path
) -> None:
    env = fanlens_env(database_url=fresh_database_url, data_dir=tmp_path)
    started = datetime.now(UTC)
    first = run_cli("demo", "--size", "tiny", env=env, timeout=300)
    assert first.returncode == 0, first.stderr + first.stdout
    assert "syncing one account per platform" in first.stdout
    assert "demo login: demo / " in first.stdout
    token = first.stdout.split("API token (read): ")[1].split()[0]
    engine = create_engine(fresh_database_url, poolclass=NullPool)
    with engine.connect() as conn:
        runs = conn.execute(text("SELECT status, api_calls FROM sync_runs")).all()
        interactions = conn.execute(text("SELECT count(*) FROM follower_interactions")).scalar()
        users = conn.execute(text("SELECT username FROM users")).scalars().all()
        sentiments = conn.execute(text("SELECT count(*) FROM comment_sentiments")).scalar()
        suggestions = dict(
            conn.execute(
                text("SELECT status, count(*) FROM person_suggestions GROUP BY status")
            ).all()
        )
        top = conn.execute(text(TOP_ITEMS_PLATFORMS)).scalars().all()
        latest = conn.execute(
            text(
                "SELECT max(occurred_at) FROM follower_interactions WHERE time_precision = 'exact'"
            )
        ).scalar_one()
        weekly = conn.execute(text(WEEKLY_EXACT)).scalars().all()
        alerts = conn.execute(text("SELECT count(*) FROM engagement_alerts")).scalar_one()
        history_outside = conn.execute(text(SUPER_FANS_HISTORY_OUTSIDE)).scalar_one()
        super_fans = conn.execute(
            text(
                "SELECT count(*) FROM follower_engagement_scores"
                " WHERE engagement_tier = 'super_fan'"
            )
        ).scalar_one()
        off_schedule = conn.execute(
            text("SELECT bool_and(settings->'scheduled' = 'false'::jsonb) FROM accounts")
        ).scalar_one()
    engine.dispose()
    # A creator's cross-posts: the demo's top items span several platforms once linked.
    assert len(top) == 8 and sum(1 for n in top if n >= 2) >= 0.6 * len(top)
    # A recent account: its interactions run up to the hours before the demo was made.
    assert started - timedelta(hours=3) <= latest <= datetime.now(UTC)
    # Steady weeks: the first and last calendar weeks are cut by the world's ends (the last
    # holds minutes when the demo is made early on a Monday), so only the whole ones compare.
    whole = weekly[1:-1]
    assert len(whole) >= 2 and max(whole) <= 3 * statistics.median(whole) and alerts == 0
    # Tier history at behaviour time: a super fan's changes lie within their own interactions.
    assert super_fans > 0 and history_outside == 0
    assert (
        off_schedule
    )  # the simulators stop with the demo: its accounts are not synced on schedule
    assert sentiments and sentiments > 0  # the demo's comments come with their sentiment
    # The syncs refreshed the people's merge suggestions: some wait for review on the page.
    assert suggestions.get("pending", 0) > 0
    assert sorted(r.status for r in runs) == ["succeeded"] * 5
    assert all(r.api_calls > 0 for r in runs)  # pulled over HTTP, not imported
    assert interactions and interactions > 0 and users == ["demo"]

    # A second run reuses the data (its start-up time is a figure for benchmarks, not a test).
    second = run_cli("demo", "--size", "tiny", env=env, timeout=120)
    assert second.returncode == 0, second.stderr
    assert "syncing" not in second.stdout and token in second.stdout  # same login, same data


def test_user_create_hashes_the_password_and_refuses_duplicates(fresh_database_url: str) -> None:
    env = fanlens_env(database_url=fresh_database_url)
    created = invoke_cli("user", "create", "Amy", env=env, input_text="s3cret-pass\ns3cret-pass\n")
    assert created.returncode == 0, created.stderr
    assert "created user amy (write) in workspace default" in created.stdout
    assert "s3cret-pass" not in created.stdout
    again = invoke_cli("user", "create", "amy", "--password", "another-pass", env=env)
    assert again.returncode == 1 and "already exists" in again.stderr
    short = invoke_cli("user", "create", "bo", "--password", "short", env=env)
    assert short.returncode == 1 and "at least 8 characters" in short.stderr
    engine = create_engine(fresh_database_url, poolclass=NullPool)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT password_hash FROM users")).scalar_one()
    engine.dispose()
    assert stored.startswith("scrypt$") and "s3cret" not in stored
    listed = invoke_cli("user", "list", env=env)
    assert listed.stdout.splitlines()[1].startswith("amy\tdefault\twrite\tnever")
    long_enough = ("--password", "long-enough")
    reader = invoke_cli("user", "create", "bo", "--scope", "read", *long_enough, env=env)
    assert reader.returncode == 0 and "created user bo (read)" in reader.stdout
    bad = invoke_cli("user", "create", "cy", "--scope", "admin", *long_enough, env=env)
    assert bad.returncode == 1 and "scope must be read or write" in bad.stderr
    changed = invoke_cli("user", "scope", "amy", "read", env=env)
    assert changed.returncode == 0 and "amy now has read access" in changed.stdout
    listed = invoke_cli("user", "list", env=env)
    assert [line.split("\t")[:3] for line in listed.stdout.splitlines()[1:]] == [
        ["amy", "default", "read"],
        ["bo", "default", "read"],
    ]


DEMO_SYNC_LINE = re.compile(r"^\s+(\w+)\s+succeeded: [\d,]+ items", re.MULTILINE)


def _interrupt_during_the_syncs(env: dict[str, str]) -> str:
    """`fanlens demo` stopped with Ctrl+C (SIGINT) once its accounts are connected and the
    syncs have begun, as a first `make run` stopped part-way; what it printed."""
    command = [sys.executable, "-m", "fanlens", "demo", "--size", "tiny"]
    proc = subprocess.Popen(command, env={**env, "PYTHONUNBUFFERED": "1"}, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            preexec_fn=interruptible)  # fmt: skip
    assert proc.stdout is not None
    printed = []
    for line in proc.stdout:
        printed.append(line)
        if "syncing one account per platform" in line:
            proc.send_signal(signal.SIGINT)
            break
    printed.append(proc.communicate(timeout=60)[0])
    assert proc.returncode != 0, "".join(printed)
    return "".join(printed)


@pytest.mark.slow
def test_an_interrupted_demo_is_built_again_by_the_next_run(
    fresh_database_url: str, tmp_path: Path
) -> None:
    env = fanlens_env(database_url=fresh_database_url, data_dir=tmp_path)
    _interrupt_during_the_syncs(env)
    engine = create_engine(fresh_database_url, poolclass=NullPool)
    with engine.connect() as conn:
        left = conn.execute(text("SELECT count(*) FROM accounts")).scalar_one()
        users = conn.execute(text("SELECT count(*) FROM users")).scalar_one()
    assert left == 5 and users == 0  # the half-built demo the next run finds

    again = invoke_cli("demo", "--size", "tiny", env=env)
    assert again.returncode == 0, again.stderr + again.stdout
    assert "the last demo stopped before it finished" in again.stdout
    assert "demo login: demo / " in again.stdout
    # Each sync's line names its platform.
    synced = DEMO_SYNC_LINE.findall(again.stdout)
    assert synced == ["youtube", "bluesky", "mastodon", "instagram", "tiktok"]
    with engine.connect() as conn:
        runs = conn.execute(text("SELECT status FROM sync_runs")).scalars().all()
        users_now = conn.execute(text("SELECT username FROM users")).scalars().all()
    engine.dispose()
    assert sorted(runs) == ["succeeded"] * 5 and users_now == ["demo"]


def test_a_workspace_with_data_of_its_own_names_the_command_that_starts_over(
    fresh_database_url: str, tmp_path: Path
) -> None:
    console_script = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "fanlens"
    if not console_script.exists():
        pytest.skip(".venv/bin/fanlens is missing: `make install` makes it")
    env = fanlens_env(database_url=fresh_database_url, data_dir=tmp_path)
    added = invoke_cli("account", "add", "bluesky", "--handle", "someone.bsky.social", env=env)
    assert added.returncode == 0, added.stderr
    demo = subprocess.run(
        [".venv/bin/fanlens", "demo", "--size", "tiny"],
        cwd=console_script.parents[2], env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert demo.returncode == 0, demo.stderr
    shown = " ".join(demo.stdout.split())
    assert "holds data of its own: no demo added" in shown
    assert "`.venv/bin/fanlens demo --reset`" in shown
    assert "syncing" not in shown
