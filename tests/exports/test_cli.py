"""`fanlens import-export` as a user runs it: a subprocess against a real database."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from tests.exports.exports import BASE, instagram, iso, tiktok, zipped
from tests.helpers import fanlens_env, invoke_cli


def _follows(url: str) -> int:
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        n = conn.execute(
            text("SELECT count(*) FROM follower_interactions WHERE interaction_type = 'follow'")
        ).scalar_one()
    engine.dispose()
    return int(n)


def test_import_export_zip_twice_then_a_bad_layout(tmp_path: Path, fresh_database_url: str) -> None:
    env = fanlens_env(database_url=fresh_database_url)
    exp = tiktok(tmp_path / "export")
    archive = zipped(tmp_path / "export", tmp_path / "tiktok.zip")

    first = invoke_cli("import-export", "tiktok", str(archive), env=env)
    assert first.returncode == 0, first.stderr
    assert "followers: 6 items in the export" in first.stdout
    assert "rejected: bad_timestamp" in first.stdout
    assert _follows(fresh_database_url) == len(exp.followers)

    again = invoke_cli("import-export", "tiktok", str(archive), env=env)
    assert again.returncode == 0, again.stderr
    assert _follows(fresh_database_url) == len(exp.followers)

    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "user_data_tiktok.json").write_text('{"Your Activity": {}}', encoding="utf-8")
    refused = invoke_cli("import-export", "tiktok", str(bad), env=env)
    assert refused.returncode == 1
    assert "user_data_tiktok.json: expected 'Your Activity' → 'Follower' → 'FansList'" in (
        refused.stderr
    )

    unknown = invoke_cli("import-export", "myspace", str(bad), env=env)
    assert unknown.returncode == 1
    assert "choose one of" in unknown.stderr


def test_an_exported_post_is_linked_to_its_cross_post(
    tmp_path: Path, fresh_database_url: str
) -> None:
    """The Instagram export's first post ("Sunset 🌅") went out on TikTok two hours earlier."""
    env = fanlens_env(database_url=fresh_database_url)
    exp = instagram(tmp_path / "export")
    sunset = next(key for key, post in exp.posts.items() if post["caption"] == "Sunset 🌅")
    tiktok_post = {
        "type": "post",
        "platform": "tiktok",
        "external_post_id": "tt-sunset",
        "caption": "sunset 🌅 #fyp",
        "posted_at": iso(BASE - 7200),
    }
    jsonl = tmp_path / "tiktok.jsonl"
    jsonl.write_text(json.dumps(tiktok_post) + "\n", encoding="utf-8")
    assert invoke_cli("import", str(jsonl), env=env).returncode == 0

    imported = invoke_cli("import-export", "instagram", str(tmp_path / "export"), env=env)
    assert imported.returncode == 0, imported.stderr
    engine = create_engine(fresh_database_url, poolclass=NullPool)
    with engine.connect() as conn:
        items = dict(
            conn.execute(text("SELECT external_post_id, content_id FROM content_posts")).all()
        )
    engine.dispose()
    assert items[sunset] == items["tt-sunset"]
    assert len(set(items.values())) == len(exp.posts)  # the other posts stay on their own
