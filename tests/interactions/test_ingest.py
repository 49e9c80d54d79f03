from __future__ import annotations

import io
import json
from collections import Counter
from contextlib import nullcontext
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from fanlens.audience.models import Follower
from fanlens.content.models import ContentItem, ContentPost
from fanlens.demo.generate import generate_world
from fanlens.interactions.ingest import IngestSummary, import_stream, ingest_records
from fanlens.interactions.models import FollowerInteraction, IngestReject
from fanlens.scoring.schemas import DEFAULT_WEIGHTS
from fanlens.workspaces.models import Workspace
from tests.fixtures.builders import create_workspace


def _import_lines(
    session: Session,
    ws: Workspace,
    lines: list[str],
    batch_size: int = 1000,
    source: str = "test.jsonl",
) -> IngestSummary:
    data = ("\n".join(lines) + "\n").encode("utf-8")
    return import_stream(
        io.BytesIO(data),
        workspace_id=ws.id,
        source=source,
        session_scope=lambda: nullcontext(session),
        batch_size=batch_size,
    )


def _count(session: Session, model: Any, ws: Workspace) -> int:
    return (
        session.scalar(select(func.count()).select_from(model).where(model.workspace_id == ws.id))
        or 0
    )


def _table_counts(session: Session, ws: Workspace) -> dict[str, int]:
    return {
        m.__tablename__: _count(session, m, ws)
        for m in (ContentItem, ContentPost, Follower, FollowerInteraction, IngestReject)
    }


def _interaction(user: str, kind: str = "comment", **extra: Any) -> str:
    record = {
        "type": "interaction",
        "platform": "tiktok",
        "interaction_type": kind,
        "user": {"external_user_id": user, "username": user},
        **extra,
    }
    return json.dumps(record, ensure_ascii=False)


def test_world_import_matches_the_generators_counts(session: Session) -> None:
    ws = create_workspace(session)
    world = generate_world("tiny", seed=3)
    summary = _import_lines(session, ws, list(world.jsonl_lines()), batch_size=300)
    assert summary.rejected_total == 0
    stored = session.execute(
        text(
            "SELECT f.platform, f.external_user_id, i.interaction_type, count(*) "
            "FROM follower_interactions i JOIN followers f ON f.id = i.follower_id "
            "WHERE i.workspace_id = :ws GROUP BY 1, 2, 3"
        ),
        {"ws": ws.id},
    ).all()
    assert Counter({(p, u, t): n for p, u, t, n in stored}) == world.expected_counts()
    assert _count(session, Follower, ws) == len(world.fans)
    assert _count(session, ContentPost, ws) == len(world.posts)
    assert _count(session, ContentItem, ws) == len({p.content_key for p in world.posts})
    # Scores came along with the batches (the triggers): each equals counts x default weights.
    expected: Counter[tuple[str, str]] = Counter()
    for (platform, user, kind), n in world.expected_counts().items():
        expected[(platform, user)] += n * DEFAULT_WEIGHTS.get(kind, 0)
    scores = session.execute(
        text(
            "SELECT f.platform, f.external_user_id, s.engagement_score "
            "FROM follower_engagement_scores s "
            "JOIN followers f ON f.id = s.follower_id WHERE s.workspace_id = :ws"
        ),
        {"ws": ws.id},
    ).all()
    assert {(p, u): score for p, u, score in scores} == dict(expected)


def test_import_twice_adds_nothing(session: Session) -> None:
    ws = create_workspace(session)
    lines = list(generate_world("tiny", seed=4).jsonl_lines())
    first = _import_lines(session, ws, lines)
    before = _table_counts(session, ws)
    second = _import_lines(session, ws, lines)
    assert _table_counts(session, ws) == before
    assert second.interactions_inserted == 0
    assert second.interactions_already_present == first.interactions_inserted
    assert (second.followers_created, second.followers_updated) == (0, 0)
    assert (second.posts_created, second.posts_updated) == (0, 0)


def test_bad_lines_are_rejected_and_good_lines_around_them_stored(session: Session) -> None:
    ws = create_workspace(session)
    lines = [
        _interaction("u1", external_id="a", occurred_at="2026-11-01T10:00:00Z", text="hi"),
        "{not json",
        json.dumps({"type": "interaction", "platform": "tiktok", "interaction_type": "like"}),
        json.dumps({"type": "gift", "platform": "tiktok"}),
        _interaction("u2", external_id="b", occurred_at="last tuesday"),
        json.dumps({"type": "post", "platform": "TikTok", "external_post_id": "p1"}),
        json.dumps(
            {
                "type": "follower",
                "platform": "tiktok",
                "external_user_id": "u3",
                "follower_count": "many",
            }
        ),
        "[1, 2]",
        _interaction("u4", external_id="c", occurred_at="2026-11-01T10:05:00+02:00"),
    ]
    summary = _import_lines(session, ws, lines)
    assert summary.interactions_inserted == 2
    rejects = session.execute(
        select(IngestReject.line_number, IngestReject.reason, IngestReject.message)
        .where(IngestReject.workspace_id == ws.id)
        .order_by(IngestReject.line_number)
    ).all()
    assert [(r.line_number, r.reason) for r in rejects] == [
        (2, "bad_json"),
        (3, "missing_field"),
        (4, "unknown_type"),
        (5, "bad_timestamp"),
        (6, "wrong_type"),
        (7, "wrong_type"),
        (8, "wrong_type"),
    ]
    assert "field 'user' is required" in rejects[1].message
    assert "follower_count" in rejects[5].message
    # Importing the same file again neither stores nor rejects anything twice.
    _import_lines(session, ws, lines)
    assert _count(session, IngestReject, ws) == 7
    assert _count(session, FollowerInteraction, ws) == 2


def test_emoji_and_right_to_left_text_survive(session: Session) -> None:
    ws = create_workspace(session)
    texts = [
        "Love this 😍🔥☕️",
        "هذا رائع جدا",
        "זה מדהים",
        "👩🏽‍🍳 chef’s kiss",
        "tab\there, new\nline, back\\slash \\N",
    ]
    lines = [
        _interaction(f"u{i}", external_id=f"c{i}", text=t, occurred_at="2026-11-01T10:00:00Z")
        for i, t in enumerate(texts)
    ]
    _import_lines(session, ws, lines)
    stored = session.scalars(
        select(FollowerInteraction.interaction_value).where(
            FollowerInteraction.workspace_id == ws.id
        )
    ).all()
    assert sorted(stored) == sorted(texts)


def test_duplicates_inside_one_file_are_stored_once(session: Session) -> None:
    ws = create_workspace(session)
    comment = _interaction("u1", external_id="c1", text="hi", occurred_at="2026-11-01T10:00:00Z")
    timeless_like = _interaction("u1", kind="like", external_post_id="p1")
    summary = _import_lines(
        session, ws, [comment, comment, timeless_like, timeless_like], batch_size=1000
    )
    assert summary.interactions_inserted == 2
    assert summary.interactions_already_present == 2
    like = session.scalars(
        select(FollowerInteraction).where(
            FollowerInteraction.workspace_id == ws.id,
            FollowerInteraction.interaction_type == "like",
        )
    ).one()
    assert like.time_precision == "observed"


def test_interaction_for_unknown_post_makes_a_placeholder_that_the_post_fills(
    session: Session,
) -> None:
    ws = create_workspace(session)
    _import_lines(
        session,
        ws,
        [
            _interaction(
                "u1", external_id="c1", external_post_id="p9", occurred_at="2026-11-01T10:00:00Z"
            )
        ],
    )
    post = session.scalars(select(ContentPost).where(ContentPost.workspace_id == ws.id)).one()
    assert post.is_placeholder
    placeholder_item = post.content_id
    _import_lines(
        session,
        ws,
        [
            json.dumps(
                {
                    "type": "post",
                    "platform": "tiktok",
                    "external_post_id": "p9",
                    "content": {"key": "cold-brew-60s", "title": "Cold brew in 60 seconds"},
                    "metrics": {"views": 100, "likes": 7, "plays": 3},
                }
            )
        ],
    )
    session.expire_all()
    post = session.scalars(select(ContentPost).where(ContentPost.workspace_id == ws.id)).one()
    assert not post.is_placeholder
    assert post.likes == 7 and post.extra_metrics == {"plays": 3}
    item = session.get(ContentItem, post.content_id)
    assert item is not None and item.slug == "cold-brew-60s"
    assert session.get(ContentItem, placeholder_item) is None  # the empty placeholder is gone
    interaction = session.scalars(
        select(FollowerInteraction).where(FollowerInteraction.workspace_id == ws.id)
    ).one()
    assert interaction.content_id == item.id


def test_posts_with_one_content_key_are_one_content_item(session: Session) -> None:
    ws = create_workspace(session)
    content = {"key": "latte-art", "title": "Latte art"}
    lines = [
        json.dumps(
            {"type": "post", "platform": p, "external_post_id": f"{p}-1", "content": content}
        )
        for p in ("tiktok", "instagram", "youtube")
    ]
    lines.append(
        json.dumps(
            {
                "type": "post",
                "platform": "bluesky",
                "external_post_id": "b-1",
                "caption": "no key here",
            }
        )
    )
    _import_lines(session, ws, lines)
    rows = session.execute(
        text(
            "SELECT title, platform_count FROM content_cross_platform_summary "
            "WHERE workspace_id = :ws ORDER BY platform_count DESC"
        ),
        {"ws": ws.id},
    ).all()
    assert [tuple(r) for r in rows] == [("Latte art", 3), ("no key here", 1)]


def test_follower_profile_fields_merge_and_first_seen_is_the_earliest(session: Session) -> None:
    ws = create_workspace(session)
    lines = [
        json.dumps(
            {
                "type": "follower",
                "platform": "tiktok",
                "external_user_id": "u1",
                "username": "creator_amy",
                "display_name": "Amy",
                "follower_count": 12,
                "verified": True,
            }
        ),
        _interaction("u1", external_id="c2", occurred_at="2026-11-05T10:00:00Z"),
        _interaction("u1", external_id="c1", occurred_at="2026-11-01T10:00:00Z"),
    ]
    _import_lines(session, ws, lines)
    follower = session.scalars(select(Follower).where(Follower.workspace_id == ws.id)).one()
    assert (
        follower.username,
        follower.display_name,
        follower.follower_count,
        follower.verified,
    ) == ("u1", "Amy", 12, True)
    assert follower.first_seen_at is not None and follower.first_seen_at.day == 1
    assert follower.last_seen_at is not None and follower.last_seen_at.day == 5


def test_ingest_records_is_the_same_pipeline_for_connectors(session: Session) -> None:
    ws = create_workspace(session)
    records = [
        {
            "type": "interaction",
            "platform": "bluesky",
            "interaction_type": "like",
            "external_post_id": "at://post/1",
            "occurred_at": "2026-11-01T10:00:00Z",
            "user": {"external_user_id": "did:plc:abc", "username": "amy.bsky.social"},
        },
        {"type": "interaction", "platform": "bluesky", "interaction_type": "like"},
    ]
    summary = ingest_records(session, workspace_id=ws.id, records=records, source="bluesky")
    assert summary.interactions_inserted == 1
    assert summary.rejected == Counter({"missing_field": 1})
    again = ingest_records(session, workspace_id=ws.id, records=records, source="bluesky")
    assert again.interactions_inserted == 0
    assert _count(session, IngestReject, ws) == 1
