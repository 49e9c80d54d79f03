"""The triggers that stand in for follower_interactions' foreign keys, and the upkeep they set
off, touch rows of their own workspace only: a follower, post or content item deleted (or a
post relinked) in one workspace leaves another workspace's rows as they were, even where the
other workspace's rows carry the same ids (a follower's key is (id, workspace_id); the log has
no foreign keys, so its post and content ids are not checked)."""

from __future__ import annotations

import functools
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from fanlens.analytics import retention
from fanlens.analytics import service as analytics_service
from fanlens.content import linking_repository
from fanlens.content import repository as content_repository
from fanlens.content import service as content_service
from fanlens.content.models import ContentItem, ContentPost
from fanlens.content.repository import ContentFilters
from fanlens.interactions import activity
from fanlens.interactions.ingest import ingest_records
from fanlens.interactions.repository import ActivityFilters
from fanlens.scoring import service as scoring_service
from fanlens.scoring.schemas import ScoringConfigChange
from fanlens.sentiment import repository as sentiment_repository
from fanlens.sentiment import service as sentiment_service
from fanlens.workspaces.models import Workspace
from tests.fixtures.builders import create_content, create_post, create_workspace

T0 = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)

# Every derived row of a workspace, without surrogate ids (a rebuild may renumber them).
SNAPSHOT = {
    "follower_interactions": "follower_id, content_post_id, content_id, interaction_type, "
    "occurred_at",
    "follower_interaction_counts": "follower_id, interaction_type, interaction_count, "
    "first_interaction_at, last_interaction_at",
    "follower_engagement_scores": "follower_id, engagement_score, engagement_tier, "
    "interaction_count",
    "follower_tier_changes": "follower_id, from_tier, to_tier, score, kind",
    "follower_active_periods": "follower_id, grain, period",
    "retention_cells": "platform, grain, cohort, period, followers, last_active",
    "followers": "id, first_seen_at, last_seen_at",
}


def _snapshot(session: Session, workspace_id: uuid.UUID) -> dict[str, list[Any]]:
    return {
        table: [
            tuple(row)
            for row in session.execute(
                text(f"SELECT {columns} FROM {table} WHERE workspace_id = :ws ORDER BY {columns}"),
                {"ws": workspace_id},
            )
        ]
        for table, columns in SNAPSHOT.items()
    }


def _ingest_fan(
    session: Session, workspace_id: uuid.UUID, fan_id: uuid.UUID, post_id: str, user: str
) -> None:
    """A follower with the given id (inserted first, so the ingest finds it) and three of their
    interactions, a week apart, on the given post."""
    session.execute(
        text(
            "INSERT INTO followers (id, workspace_id, platform, external_user_id, username) "
            "VALUES (:id, :ws, 'tiktok', :user, :user)"
        ),
        {"id": fan_id, "ws": workspace_id, "user": user},
    )
    records = [
        {
            "type": "interaction",
            "platform": "tiktok",
            "interaction_type": kind,
            "user": {"external_user_id": user},
            "external_post_id": post_id,
            "external_id": f"{user}-{n}",
            "occurred_at": (T0 + timedelta(days=7 * n)).isoformat(),
        }
        for n, kind in enumerate(("comment", "share", "like"))
    ]
    summary = ingest_records(session, workspace_id=workspace_id, records=records, source="test")
    assert summary.interactions_inserted == 3


def test_deleting_a_follower_leaves_another_workspaces_follower_with_the_same_id(
    session: Session,
) -> None:
    fan_id = uuid.uuid4()
    worlds = []
    for name in ("a", "b"):
        ws = create_workspace(session)
        post = create_post(session, create_content(session, ws), platform="tiktok")
        _ingest_fan(session, ws.id, fan_id, post.external_post_id, f"fan_{name}")
        worlds.append(ws.id)
    a, b = worlds
    before = _snapshot(session, b)
    assert before["follower_interactions"] and before["follower_active_periods"]

    session.execute(
        text("DELETE FROM followers WHERE id = :id AND workspace_id = :ws"), {"id": fan_id, "ws": a}
    )

    assert _snapshot(session, a)["follower_interactions"] == []
    assert _snapshot(session, b) == before


def test_deleting_or_relinking_a_post_or_content_leaves_another_workspaces_interactions(
    session: Session,
) -> None:
    a, b = create_workspace(session), create_workspace(session)
    content_a = create_content(session, a)
    post_a = create_post(session, content_a, platform="tiktok")
    other_content_a = create_content(session, a)
    post_b = create_post(session, create_content(session, b), platform="tiktok")
    _ingest_fan(session, a.id, uuid.uuid4(), post_a.external_post_id, "fan_a")
    _ingest_fan(session, b.id, uuid.uuid4(), post_b.external_post_id, "fan_b")
    # The log has no foreign keys: b's interactions can name a's post and content item.
    session.execute(
        text(
            "UPDATE follower_interactions SET content_post_id = :p, content_id = :c "
            "WHERE workspace_id = :ws"
        ),
        {"p": post_a.id, "c": content_a.id, "ws": b.id},
    )
    before = _snapshot(session, b.id)
    a_rows = (
        "SELECT count(*) FROM follower_interactions WHERE workspace_id = :ws AND content_id = :c"
    )

    session.execute(
        text("UPDATE content_posts SET content_id = :c WHERE id = :p"),
        {"c": other_content_a.id, "p": post_a.id},
    )
    assert session.scalar(text(a_rows), {"ws": a.id, "c": other_content_a.id}) == 3
    assert _snapshot(session, b.id) == before

    session.execute(text("DELETE FROM content_posts WHERE id = :p"), {"p": post_a.id})
    assert _snapshot(session, a.id)["follower_interactions"] == []
    assert _snapshot(session, b.id) == before

    session.execute(text("DELETE FROM content_items WHERE id = :c"), {"c": content_a.id})
    assert _snapshot(session, b.id) == before


def test_interactions_added_changed_or_deleted_for_a_follower_leave_their_namesake_alone(
    session: Session,
) -> None:
    """Counts, first/last seen, scores, tier history and retention are kept per (follower,
    workspace): a batch for a follower in one workspace leaves the follower with the same id in
    another workspace as it was."""
    fan_id = uuid.uuid4()
    a, b = create_workspace(session), create_workspace(session)
    post_a = create_post(session, create_content(session, a), platform="tiktok")
    post_b = create_post(session, create_content(session, b), platform="tiktok")
    _ingest_fan(session, a.id, fan_id, post_a.external_post_id, "fan_a")
    _ingest_fan(session, b.id, fan_id, post_b.external_post_id, "fan_b")
    before = _snapshot(session, b.id)

    earlier = {  # before the follower's first interaction: their cohort and first seen move
        "type": "interaction",
        "platform": "tiktok",
        "interaction_type": "share",
        "user": {"external_user_id": "fan_a"},
        "external_post_id": post_a.external_post_id,
        "external_id": "fan_a-early",
        "occurred_at": (T0 - timedelta(days=60)).isoformat(),
    }
    ingest_records(session, workspace_id=a.id, records=[earlier], source="test")
    assert _snapshot(session, a.id)["followers"][0][1] == T0 - timedelta(days=60)
    assert _snapshot(session, b.id) == before

    moved = {"ws": a.id, "f": fan_id}
    session.execute(
        text(
            "UPDATE follower_interactions SET occurred_at = occurred_at - interval '90 days' "
            "WHERE workspace_id = :ws AND follower_id = :f AND interaction_type = 'like'"
        ),
        moved,
    )
    assert _snapshot(session, b.id) == before

    session.execute(
        text(
            "DELETE FROM follower_interactions "
            "WHERE workspace_id = :ws AND follower_id = :f AND interaction_type = 'comment'"
        ),
        moved,
    )
    assert _snapshot(session, a.id)["follower_interaction_counts"] == [
        (fan_id, "like", 1, T0 + timedelta(days=14 - 90), T0 + timedelta(days=14 - 90)),
        (fan_id, "share", 2, T0 - timedelta(days=60), T0 + timedelta(days=7)),
    ]
    assert _snapshot(session, b.id) == before


def _store_world(
    session: Session, workspace: Workspace, ids: dict[str, uuid.UUID], name: str
) -> None:
    """A content item with a post, a follower acting on it, and a follower known only from an
    interaction without a platform time, all under the given ids; `b` acts more, on other
    days, and touched another item first."""
    item = ContentItem(
        id=ids["content"], workspace_id=workspace.id, slug=f"s-{name}", title=f"item {name}"
    )
    session.add(item)
    session.flush()
    session.add(
        ContentPost(
            id=ids["post"],
            workspace_id=workspace.id,
            content_id=item.id,
            platform="tiktok",
            external_post_id=f"post-{name}",
            url=f"https://example.com/{name}",
            posted_at=T0,
        )
    )
    session.flush()
    for key, user in (("fan", f"fan_{name}"), ("seen", f"seen_{name}")):
        session.execute(
            text(
                "INSERT INTO followers (id, workspace_id, platform, external_user_id, username) "
                "VALUES (:id, :ws, 'tiktok', :user, :user)"
            ),
            {"id": ids[key], "ws": workspace.id, "user": user},
        )
    ws = workspace.id
    days = [0, 1] if name == "a" else [3, 8, 15, 22, 29, 36]
    records: list[dict[str, Any]] = [
        {
            "type": "interaction",
            "platform": "tiktok",
            "interaction_type": "comment",
            "user": {"external_user_id": f"fan_{name}"},
            "external_post_id": f"post-{name}",
            "external_id": f"{name}-{day}",
            "occurred_at": (T0 + timedelta(days=day)).isoformat(),
            "text": f"Will you make more like this, {name}?",
        }
        for day in days
    ]
    records.append(
        {
            "type": "interaction",
            "platform": "tiktok",
            "interaction_type": "like",
            "user": {"external_user_id": f"seen_{name}"},
            "external_post_id": f"post-{name}",
            "external_id": f"{name}-seen",
        }
    )
    if name == "b":
        other = create_post(session, create_content(session, workspace), platform="tiktok")
        records.append(
            {
                "type": "interaction",
                "platform": "tiktok",
                "interaction_type": "share",
                "user": {"external_user_id": "fan_b"},
                "external_post_id": other.external_post_id,
                "external_id": "b-first",
                "occurred_at": (T0 - timedelta(days=1)).isoformat(),
            }
        )
    summary = ingest_records(session, workspace_id=ws, records=records, source="test")
    assert summary.rejected_total == 0


def _reads(session: Session, ws: uuid.UUID, ids: dict[str, uuid.UUID]) -> dict[str, Any]:
    """The activity feed's and analytics' answers that join interactions, followers, scores,
    active periods and content."""
    newest = functools.partial(activity.newest, session=session, workspace_id=ws, limit=50)
    cohort = retention.period_start(T0.date(), "week")
    window = {"grain": "week", "periods": 8, "as_of": date(2026, 12, 13), "types": ["comment"]}
    return {
        "feed": newest(filters=ActivityFilters()),
        "feed of a follower": newest(filters=ActivityFilters(follower_id=ids["fan"])),
        "feed of a username": newest(filters=ActivityFilters(username="fan_a")),
        "feed of an item": newest(
            filters=ActivityFilters(content_id=ids["content"], interaction_type="comment")
        ),
        "tiers of a search": analytics_service.tier_breakdown(
            session=session, workspace_id=ws, username="fan_"
        ),
        "cohorts": analytics_service.cohorts(
            session=session, workspace_id=ws, platform=None, since=None, include_time_unknown=True
        ),
        "retention": retention.matrix(session=session, workspace_id=ws, **window),
        "retention by first touch": retention.matrix(
            session=session, workspace_id=ws, first_touch_content_id=ids["content"], **window
        ),
        "retention people": [
            retention.people(
                session=session,
                workspace_id=ws,
                cohort=cohort,
                period=period,
                grain="week",
                types=["comment"],
                as_of=date(2026, 12, 13),
            )
            for period in range(4)
        ],
    }


def test_reads_of_a_workspace_leave_out_another_workspaces_rows_with_the_same_ids(
    session: Session,
) -> None:
    """Every join of the activity feed and of analytics carries workspace_id: another
    workspace's follower, content item and post under the same ids (and their interactions,
    scores and active periods) change none of the first workspace's answers."""
    ids = {key: uuid.uuid4() for key in ("content", "post", "fan", "seen")}
    a, b = create_workspace(session), create_workspace(session)
    _store_world(session, a, ids, "a")
    alone = _reads(session, a.id, ids)
    assert alone["feed of a follower"].items and alone["retention people"][0]
    _store_world(session, b, ids, "b")
    after = _reads(session, a.id, ids)
    assert [read for read in alone if after[read] != alone[read]] == []


_TEXT = "interaction_type = 'comment' AND interaction_value IS NOT NULL"


def _judge(session: Session, judged: uuid.UUID, of: uuid.UUID, label: str, skip: int = 0) -> None:
    """Sentiments in workspace `judged` under the ids of `of`'s comments (all but the newest
    `skip`), each a question with a person's correction."""
    session.execute(
        text(
            "INSERT INTO comment_sentiments (interaction_id, workspace_id, label, score, "
            "language, analyser, analyser_version, is_question, corrected_label, corrected_by, "
            "corrected_at) "
            "SELECT id, :judged, :label, 0.5, 'en', 'test', '1', true, :label, 'me', "
            "occurred_at FROM follower_interactions "
            f"WHERE workspace_id = :of AND {_TEXT} ORDER BY occurred_at DESC OFFSET :skip"
        ),
        {"judged": judged, "of": of, "label": label, "skip": skip},
    )


def _content_reads(session: Session, ws: uuid.UUID, ids: dict[str, uuid.UUID]) -> dict[str, Any]:
    """The content list and detail, cross-post linking, comment sentiments and a recency
    rescore: the reads that join content items, followers, interactions and sentiments."""
    scoring_service.rescore_workspace(session=session, workspace_id=ws)
    listed = content_service.list_query(
        workspace_id=ws, filters=ContentFilters(), sort="total_engagement", order="desc",
        cursor=None,
    )  # fmt: skip
    scope = {"session": session, "workspace_id": ws}
    text_ids = list(
        session.scalars(
            text(f"SELECT id FROM follower_interactions WHERE workspace_id = :ws AND {_TEXT}"),
            {"ws": ws},
        )
    )
    return {
        "content list": content_service.list_content(session=session, query=listed, limit=10),
        "content detail": content_service.get_detail(**scope, content_id=ids["content"]),
        "top commenters": content_repository.top_commenters(
            **scope, content_id=ids["content"], limit=10
        ),
        "linkable posts": [tuple(r) for r in linking_repository.linkable_posts(session, ws)],
        "posts by id": [
            tuple(r) for r in linking_repository.posts_by_id(session, ws, [ids["post"]])
        ],
        "sentiment of an item": sentiment_service.content_summary(
            **scope, content_id=ids["content"], bucket="day"
        ),
        "sentiment totals": tuple(
            sentiment_repository.content_totals(**scope, content_id=ids["content"])
        ),
        "sentiment trend": [
            tuple(r)
            for r in sentiment_repository.content_trend(
                **scope, content_id=ids["content"], bucket="week"
            )
        ],
        "unanswered": [
            tuple(r)
            for r in sentiment_repository.unanswered(**scope, content_id=ids["content"], limit=9)
        ],
        "mood of a follower": sentiment_service.follower_mood(**scope, follower_id=ids["fan"]),
        "platforms": sentiment_service.platform_summary(**scope, since=T0 - timedelta(days=9)),
        "negative days": [
            tuple(r)
            for r in sentiment_repository.daily_negative(session, workspace_id=ws, day=T0.date())
        ],
        "corrections": sentiment_service.export_labels(**scope),
        "alerts": [
            (a.content_id, title)
            for a, title in sentiment_repository.alerts_with_titles(**scope, limit=5)
        ],
        "pending": sentiment_repository.still_pending(session, workspace_id=ws, ids=text_ids),
        "sentiments": session.execute(
            text(
                "SELECT interaction_id, label FROM comment_sentiments WHERE workspace_id = :ws "
                "ORDER BY 1"
            ),
            {"ws": ws},
        ).all(),
        "scores": session.execute(
            text(
                "SELECT follower_id, engagement_score FROM follower_engagement_scores "
                "WHERE workspace_id = :ws ORDER BY 1"
            ),
            {"ws": ws},
        ).all(),
    }


def test_content_and_sentiment_reads_leave_out_another_workspaces_rows_with_the_same_ids(
    session: Session,
) -> None:
    """The content list and detail (top commenters), cross-post linking, the comment
    sentiments and a recency-weighted rescore join on (id, workspace_id): another workspace's
    content item, post and follower under the same ids, its interactions under the first
    workspace's interaction ids, sentiments judged under those ids and an edit of their texts
    change none of the first workspace's answers."""
    ids = {key: uuid.uuid4() for key in ("content", "post", "fan", "seen")}
    a, b = create_workspace(session), create_workspace(session)
    _store_world(session, a, ids, "a")
    window = {"mode": "window", "days": 3650}
    scoring_service.update_config(
        session=session, workspace_id=a.id, change=ScoringConfigChange(recency=window)
    )
    _judge(session, a.id, a.id, "negative", skip=1)  # the newest comment stays pending
    session.execute(
        text(
            "INSERT INTO sentiment_alerts (content_id, workspace_id, day, negative_count, "
            "comment_count, negative_share, baseline_share) "
            "VALUES (:c, :ws, :day, 1, 2, 0.5, 0)"
        ),
        {"c": ids["content"], "ws": a.id, "day": T0.date()},
    )
    alone = _content_reads(session, a.id, ids)
    assert alone["content detail"].top_commenters and alone["pending"]
    assert alone["sentiment of an item"].unanswered_questions and alone["corrections"]

    _store_world(session, b, ids, "b")
    columns = (
        "content_id, content_post_id, platform, interaction_type, interaction_value, "
        "external_id, parent_external_id, occurred_at, time_precision, observed_at, dedup_key"
    )
    session.execute(  # b's own comments under a's interaction ids, by b's fan
        text(
            f"INSERT INTO follower_interactions (id, workspace_id, follower_id, {columns}) "
            f"SELECT id, :b, follower_id, {columns.replace('dedup_key', 'gen_random_uuid()')} "
            f"FROM follower_interactions WHERE workspace_id = :a AND {_TEXT}"
        ),
        {"a": a.id, "b": b.id},
    )
    _judge(session, b.id, a.id, "positive")
    session.execute(  # an edit in b drops b's verdicts only
        text(
            "UPDATE follower_interactions SET interaction_value = 'edited' "
            f"WHERE workspace_id = :b AND id IN (SELECT id FROM follower_interactions "
            f"WHERE workspace_id = :a AND {_TEXT})"
        ),
        {"a": a.id, "b": b.id},
    )
    after = _content_reads(session, a.id, ids)
    assert [read for read in alone if after[read] != alone[read]] == []
