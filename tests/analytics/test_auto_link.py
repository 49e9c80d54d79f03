"""Cross-posts linked without a review: on a world with planted cross-posts and look-alikes,
and through `fanlens import`; an unlinked pair stays apart (the sync side is in
tests/connectors/test_sync_links.py)."""

from __future__ import annotations

import itertools
import json
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from fanlens.config import settings
from fanlens.content import linking
from fanlens.content.models import ContentPost
from fanlens.demo.generate import generate_world
from fanlens.interactions.ingest import ingest_records
from fanlens.interactions.service import ingest_body
from tests.fixtures.builders import create_workspace
from tests.helpers import fanlens_env, invoke_cli

Pair = frozenset[tuple[str, str]]


def _posts(size: str, seed: int) -> list[dict[str, Any]]:
    world = generate_world(size, seed)
    return list(itertools.islice(world.records(), len(world.posts)))  # posts come first


def _truth(records: list[dict[str, Any]]) -> set[Pair]:
    """Pairs of posts that are one item, read from the records' content keys."""
    by_key: dict[str, list[tuple[str, str]]] = {}
    for r in records:
        if "content" in r:
            by_key.setdefault(r["content"]["key"], []).append(
                (r["platform"], r["external_post_id"])
            )
    return {frozenset((a, b)) for ids in by_key.values() for a, b in itertools.combinations(ids, 2)}


def _unkeyed(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k != "content"} for r in records]


def _look_alikes(records: list[dict[str, Any]], every: int) -> list[dict[str, Any]]:
    """For every `every`-th item: a post with the same caption on a platform the item is not
    on, a different video put out days later (its own content key)."""
    by_key: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        by_key.setdefault(r["content"]["key"], []).append(r)
    found = []
    for n, (key, posts) in enumerate(sorted(by_key.items())):
        free = sorted({"tiktok", "instagram", "youtube", "bluesky", "mastodon"} - {
            p["platform"] for p in posts
        })  # fmt: skip
        if n % every or not free:
            continue
        first = min(datetime.fromisoformat(p["posted_at"]) for p in posts)
        later = first + timedelta(days=3 + n % 5)
        found.append(
            {
                "type": "post",
                "platform": free[0],
                "external_post_id": f"lookalike-{n}",
                "content": {"key": f"lookalike-{key}", "title": posts[0]["content"]["title"]},
                "caption": posts[0]["caption"],
                "posted_at": later.isoformat().replace("+00:00", "Z"),
            }
        )
    return found


def _linked_pairs(rows: Any) -> set[Pair]:
    by_item: dict[uuid.UUID, list[tuple[str, str]]] = {}
    for r in rows:
        by_item.setdefault(r.content_id, []).append((r.platform, r.external_post_id))
    return {
        frozenset((a, b)) for ids in by_item.values() for a, b in itertools.combinations(ids, 2)
    }


def test_auto_links_equal_the_planted_cross_posts(session: Session) -> None:
    ws = create_workspace(session)
    posts = _posts("small", seed=5)
    look_alikes = _look_alikes(posts, every=4)
    truth = _truth(posts + look_alikes)
    ingest_records(session, workspace_id=ws.id, records=_unkeyed(posts + look_alikes), source="t")

    moved = linking.auto_link(
        session=session, workspace_id=ws.id, confidence=settings.content_auto_link_confidence
    )
    session.expire_all()
    rows = session.scalars(select(ContentPost).where(ContentPost.workspace_id == ws.id)).all()
    linked = _linked_pairs(rows)
    assert len(look_alikes) > 20 and moved > 100
    assert linked == truth
    assert not any(p.startswith("lookalike-") for pair in linked for _, p in pair)
    # A second run finds nothing more to do.
    assert linking.auto_link(session=session, workspace_id=ws.id, confidence=0.8) == 0


def test_an_ambiguous_look_alike_nearby_waits_for_review(session: Session) -> None:
    """Two posts on one platform match a third equally: no link without a person."""
    ws = create_workspace(session)
    base = {"type": "post", "posted_at": "2026-11-02T09:00:00Z"}
    records = [
        {**base, "platform": "tiktok", "external_post_id": "t1", "caption": "Chai at home, cozy"},
        {**base, "platform": "youtube", "external_post_id": "y1", "caption": "Chai at home: cozy"},
        {**base, "platform": "youtube", "external_post_id": "y2", "caption": "chai at home cozy"},
    ]
    ingest_records(session, workspace_id=ws.id, records=records, source="t")
    assert linking.auto_link(session=session, workspace_id=ws.id, confidence=0.8) == 0
    assert len(linking.suggestions(session=session, workspace_id=ws.id)) == 1


def _db_pairs(engine: Engine, world_ids: dict[str, str] | None = None) -> set[Pair]:
    """Linked pairs as world ids (`world_ids`: a platform's own post id -> the world's)."""
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT content_id, platform, external_post_id FROM content_posts")
        )
        by_item: dict[uuid.UUID, list[tuple[str, str]]] = {}
        for r in rows:
            post = (world_ids or {}).get(r.external_post_id, r.external_post_id)
            by_item.setdefault(r.content_id, []).append((r.platform, post))
    return {
        frozenset((a, b)) for ids in by_item.values() for a, b in itertools.combinations(ids, 2)
    }


def _first_moved_post(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(
            conn.execute(
                text(
                    """SELECT moved_post_id FROM content_link_decisions
                       WHERE decision = 'accepted' ORDER BY moved_post_id LIMIT 1"""
                )
            ).scalar_one()
        )


def test_import_links_cross_posts_and_an_unlinked_pair_stays_apart(
    fresh_database_url: str, tmp_path: Path
) -> None:
    keyed = list(generate_world("tiny", seed=3).records())
    truth = _truth(keyed)
    path = tmp_path / "world.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in _unkeyed(keyed)), encoding="utf-8")
    env = fanlens_env(database_url=fresh_database_url)
    first = invoke_cli("import", str(path), env=env)
    assert first.returncode == 0, first.stderr
    engine = create_engine(fresh_database_url, poolclass=NullPool)
    assert truth and _db_pairs(engine) == truth

    unlinked = invoke_cli("content", "unlink", _first_moved_post(engine), env=env)
    assert unlinked.returncode == 0, unlinked.stderr
    apart = _db_pairs(engine)
    assert apart < truth

    again = invoke_cli("import", str(path), env=env)
    assert again.returncode == 0, again.stderr
    assert _db_pairs(engine) == apart
    engine.dispose()


def test_api_ingest_links_cross_posts(session: Session) -> None:
    ws = create_workspace(session)
    posts = _posts("tiny", seed=3)
    body = "".join(json.dumps(r) + "\n" for r in _unkeyed(posts)).encode()
    summary = ingest_body(session=session, workspace_id=ws.id, body=body, as_array=False)
    assert summary.posts_created == len(posts)
    session.expire_all()
    rows = session.scalars(select(ContentPost).where(ContentPost.workspace_id == ws.id)).all()
    assert _linked_pairs(rows) == _truth(posts)


def test_a_post_joins_an_item_that_holds_more_than_its_match(session: Session) -> None:
    """An item linked before (TikTok + Instagram, differently worded) gains the YouTube post
    that matches its TikTok post, even though the YouTube post went out first."""
    ws = create_workspace(session)
    item = {"key": "cold-brew", "title": "Cold brew"}
    records = [
        {"type": "post", "platform": "tiktok", "external_post_id": "t1", "content": item,
         "caption": "Cold brew honestly quick #fyp", "posted_at": "2026-11-02T12:00:00Z"},
        {"type": "post", "platform": "instagram", "external_post_id": "i1", "content": item,
         "caption": "Weekend plans sorted", "posted_at": "2026-11-02T13:00:00Z"},
        {"type": "post", "platform": "youtube", "external_post_id": "y1",
         "caption": "Cold brew: honestly quick #shorts", "posted_at": "2026-11-02T09:00:00Z"},
    ]  # fmt: skip
    ingest_records(session, workspace_id=ws.id, records=records, source="t")
    assert linking.auto_link(session=session, workspace_id=ws.id, confidence=0.8) == 1
    session.expire_all()
    rows = session.scalars(select(ContentPost).where(ContentPost.workspace_id == ws.id)).all()
    assert len({r.content_id for r in rows}) == 1
