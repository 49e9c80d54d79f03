"""Each export kind through the real ingest pipeline: exact counts, re-import adds nothing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from fanlens.exports.service import ExportSummary, import_sections, read_sections
from tests.exports.exports import BUILDERS, Expected, instagram, tiktok, zipped
from tests.fixtures.builders import create_workspace


def _import(session: Session, workspace_id: uuid.UUID, platform: str, path: Path) -> ExportSummary:
    @contextmanager
    def scope() -> Iterator[Session]:
        yield session  # the test's transaction: each batch flushes into it
        session.flush()

    sections = read_sections(platform=platform, path=str(path))
    return import_sections(
        sections, platform=platform, workspace_id=workspace_id, session_scope=scope, batch_size=4
    )


def _rows(session: Session, sql: str, ws: uuid.UUID) -> list[Any]:
    return list(session.execute(text(sql), {"ws": ws}))


def _stored(session: Session, ws: uuid.UUID, platform: str) -> dict[str, Any]:
    p = {"ws": ws, "p": platform}
    followers = session.execute(
        text("SELECT external_user_id FROM followers WHERE workspace_id = :ws AND platform = :p"), p
    )
    follows = session.execute(
        text(
            "SELECT f.external_user_id, i.occurred_at, i.time_precision"
            " FROM follower_interactions i JOIN followers f ON f.id = i.follower_id"
            " WHERE i.workspace_id = :ws AND i.platform = :p AND i.interaction_type = 'follow'"
        ),
        p,
    )
    posts = session.execute(
        text(
            "SELECT external_post_id, caption, posted_at, likes, shares FROM content_posts"
            " WHERE workspace_id = :ws AND platform = :p"
        ),
        p,
    )
    return {
        "followers": {r[0] for r in followers},
        "follows": {r[0]: (r[1], r[2]) for r in follows},
        "posts": {r[0]: r for r in posts},
    }


def _check(stored: dict[str, Any], exp: Expected) -> None:
    assert stored["followers"] == exp.followers
    assert set(stored["follows"]) == exp.followers  # one follow per follower, no more
    for user, when in exp.follow_times.items():
        occurred_at, precision = stored["follows"][user]
        if when is None:
            assert precision == "observed"
        else:
            assert precision == "exact"
            assert occurred_at.isoformat().replace("+00:00", "Z") == when
    assert set(stored["posts"]) == set(exp.posts)
    for post_id, fields in exp.posts.items():
        row = stored["posts"][post_id]
        for name, value in fields.items():
            got = getattr(row, name)
            if name == "posted_at":
                got = got.isoformat().replace("+00:00", "Z")
            assert got == value, (post_id, name)


@pytest.mark.parametrize("form", ["folder", "zip"])
@pytest.mark.parametrize("platform", sorted(BUILDERS))
def test_each_export_imports_exactly_and_reimports_without_duplicates(
    session: Session, tmp_path: Path, platform: str, form: str
) -> None:
    ws = create_workspace(session).id
    exp = BUILDERS[platform](tmp_path / "export")
    path = (
        tmp_path / "export" if form == "folder" else zipped(tmp_path / "export", tmp_path / "e.zip")
    )

    first = _import(session, ws, platform, path)
    _check(_stored(session, ws, platform), exp)
    assert first.ingest.rejected_total == exp.rejects
    assert first.ingest.interactions_inserted == len(exp.followers)
    assert first.ingest.posts_created == len(exp.posts)
    rejects = _rows(
        session,
        "SELECT source, line_number, message FROM ingest_rejects WHERE workspace_id = :ws",
        ws,
    )
    assert len(rejects) == exp.rejects
    assert all(r.source.startswith(f"export:{platform}:") for r in rejects)

    again = _import(session, ws, platform, path)
    assert again.ingest.interactions_inserted == 0
    assert again.ingest.interactions_already_present == len(exp.followers)
    assert again.ingest.posts_created == again.ingest.posts_updated == 0
    assert again.ingest.followers_created == 0
    _check(_stored(session, ws, platform), exp)
    assert (
        len(_rows(session, "SELECT 1 FROM ingest_rejects WHERE workspace_id = :ws", ws))
        == exp.rejects
    )


@pytest.mark.parametrize(("platform", "build"), [("instagram", instagram), ("tiktok", tiktok)])
def test_older_layouts(session: Session, tmp_path: Path, platform: str, build: Any) -> None:
    ws = create_workspace(session).id
    exp = build(tmp_path / "old", layout="old")
    summary = _import(session, ws, platform, tmp_path / "old")
    _check(_stored(session, ws, platform), exp)
    assert summary.ingest.rejected_total == exp.rejects


def test_a_newer_export_of_the_same_account_adds_only_the_new_followers(
    session: Session, tmp_path: Path
) -> None:
    ws = create_workspace(session).id
    instagram(tmp_path / "june", followers=4)
    exp = instagram(tmp_path / "july", followers=9)
    _import(session, ws, "instagram", tmp_path / "june")
    later = _import(session, ws, "instagram", tmp_path / "july")
    assert later.ingest.interactions_inserted == 5
    assert later.ingest.followers_created == 5
    _check(_stored(session, ws, "instagram"), exp)


def test_retweets_and_boosts_are_skipped_not_rejected(session: Session, tmp_path: Path) -> None:
    ws = create_workspace(session).id
    BUILDERS["x"](tmp_path / "x")
    BUILDERS["mastodon"](tmp_path / "m")
    x = _import(session, ws, "x", tmp_path / "x")
    m = _import(session, ws, "mastodon", tmp_path / "m")
    assert x.skipped == {"posts": 1}
    assert m.skipped == {"posts": 1}
    assert x.items == {"posts": 5, "followers": 3}
