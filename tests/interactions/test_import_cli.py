"""`fanlens import` as a user runs it: a subprocess against a real database."""

from __future__ import annotations

import gzip
import os
import random
import signal
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from fanlens.demo.generate import generate_world
from tests.helpers import fanlens_env, invoke_cli, run_cli

TABLES = (
    "content_items",
    "content_posts",
    "followers",
    "follower_interactions",
    "follower_engagement_scores",
    "follower_interaction_counts",
)


def _counts(url: str) -> dict[str, int]:
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        counts = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}
        counts["score_sum"] = conn.execute(
            text(
                "SELECT coalesce(sum(engagement_score), 0)::bigint FROM follower_engagement_scores"
            )
        ).scalar_one()
    engine.dispose()
    return counts


def _write_world(path: Path, size: str, seed: int) -> None:
    with gzip.open(path, "wt", encoding="utf-8") as out:
        for line in generate_world(size, seed).jsonl_lines():
            out.write(line + "\n")


@pytest.mark.xdist_group(name="kill")
def test_kill_9_mid_import_then_rerun_equals_a_clean_import(
    tmp_path: Path, fresh_database_url: str, admin_url: str, template_database: str
) -> None:
    world = tmp_path / "world.jsonl.gz"
    _write_world(world, "small", seed=11)
    env = fanlens_env(database_url=fresh_database_url, FANLENS_INGEST_BATCH_SIZE="5000")
    proc = subprocess.Popen(
        [sys.executable, "-m", "fanlens", "import", str(world)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # Kill at a random moment once some batches have committed.
    deadline = time.monotonic() + 120
    target = random.Random().randint(2, 12) * 5000
    while time.monotonic() < deadline and proc.poll() is None:
        if _counts(fresh_database_url)["follower_interactions"] >= target:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    partial = _counts(fresh_database_url)["follower_interactions"]

    rerun = run_cli("import", str(world), env=env, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    after_rerun = _counts(fresh_database_url)

    from tests.fixtures.database import create_database, drop_database

    clean_name = f"{template_database}_clean"
    clean_url = create_database(admin_url, clean_name, template=template_database)
    try:
        clean = run_cli("import", str(world), env=fanlens_env(database_url=clean_url), timeout=600)
        assert clean.returncode == 0, clean.stderr
        assert after_rerun == _counts(clean_url)
    finally:
        drop_database(admin_url, clean_name)
    assert 0 < partial < after_rerun["follower_interactions"]


def test_cli_reports_and_exit_codes(tmp_path: Path, fresh_database_url: str) -> None:
    env = fanlens_env(database_url=fresh_database_url)
    good = '{"type":"follower","platform":"tiktok","external_user_id":"u1"}'
    data = tmp_path / "mixed.jsonl"
    data.write_text(f"{good}\nnot json\n", encoding="utf-8")
    rejects = tmp_path / "rejects.jsonl"
    result = invoke_cli("import", str(data), "--rejects", str(rejects), env=env)
    assert result.returncode == 0, result.stderr
    assert "rejected: bad_json" in result.stdout
    assert '"line": 2' in rejects.read_text(encoding="utf-8")

    from_stdin = invoke_cli("import", "-", env=env, input_text=good + "\n")
    assert from_stdin.returncode == 0
    assert "lines read" in from_stdin.stdout

    missing = invoke_cli("import", str(tmp_path / "nope.jsonl"), env=env)
    assert missing.returncode == 2
    assert "no such file" in missing.stdout

    unknown_ws = invoke_cli("import", str(data), "--workspace", "nobody", env=env)
    assert unknown_ws.returncode == 1
    assert "fanlens workspace create nobody" in unknown_ws.stderr


def _count_followers(url: str) -> int:
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM followers")).scalar_one()
    engine.dispose()
    return int(count)


def test_a_truncated_gzip_stores_its_complete_lines_and_exits_2(
    tmp_path: Path, fresh_database_url: str
) -> None:
    lines = [
        f'{{"type":"follower","platform":"tiktok","external_user_id":"u{n}","bio":"{n * 7919}"}}\n'
        for n in range(3000)
    ]
    whole = gzip.compress("".join(lines).encode("utf-8"))
    cut = whole[: len(whole) * 2 // 3]
    readable = zlib.decompressobj(wbits=31).decompress(cut)
    complete = readable.count(b"\n")
    assert 0 < complete < len(lines)
    damaged = tmp_path / "cut.jsonl.gz"
    damaged.write_bytes(cut)

    # The default batch size holds the whole file: the batch in progress must still be stored.
    result = invoke_cli("import", str(damaged), env=fanlens_env(database_url=fresh_database_url))

    assert result.returncode == 2, result.stdout + result.stderr
    assert f"damaged compressed input at line {complete + 1:,}" in result.stdout
    assert _count_followers(fresh_database_url) == complete


def test_unreadable_paths_are_named_for_what_they_are(
    tmp_path: Path, fresh_database_url: str
) -> None:
    env = fanlens_env(database_url=fresh_database_url)
    folder = tmp_path / "exports"
    folder.mkdir()
    as_folder = invoke_cli("import", str(folder), env=env)
    assert as_folder.returncode == 2
    assert f"cannot read {folder}: is a directory" in as_folder.stdout
    locked = tmp_path / "locked.jsonl"
    locked.write_text("{}\n", encoding="utf-8")
    locked.chmod(0)
    if os.geteuid() != 0:  # root reads any file
        denied = invoke_cli("import", str(locked), env=env)
        assert denied.returncode == 2
        assert f"cannot read {locked}: permission denied" in denied.stdout
    assert _count_followers(fresh_database_url) == 0
