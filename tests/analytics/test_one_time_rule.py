"""The one time rule, answer by answer, on a world mixing exact-time and observed-time
interactions. The observed ones are concentrated at "sync time" (ingest stores them at the
transaction's now()), as a sync of Bluesky reposts or a Mastodon export would; every expected
answer is computed here from the input lines, and none may show that spike."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from fanlens.analytics import insights, retention
from fanlens.analytics import service as analytics
from fanlens.audience import service as audience
from fanlens.interactions import activity
from fanlens.interactions.ingest import ingest_records
from fanlens.interactions.repository import ActivityFilters
from fanlens.people import service as people
from fanlens.workspaces.models import Workspace
from tests.fixtures.builders import create_workspace

YT_POST = "yt-video-1"
BSKY_OLD = "at://did:plc:creator/app.bsky.feed.post/old"
BSKY_NEW = "at://did:plc:creator/app.bsky.feed.post/new"


@dataclass(frozen=True)
class Line:
    """One interaction line of the input: `at` None means the platform gave no time."""

    platform: str
    user: str
    kind: str
    post: str | None
    at: datetime | None


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@dataclass
class World:
    ws: Workspace
    now: datetime
    lines: list[Line]
    new_post_at: datetime
    old_post_at: datetime

    def exact(self) -> list[Line]:
        return [x for x in self.lines if x.at is not None]

    def observed(self) -> list[Line]:
        return [x for x in self.lines if x.at is None]

    def follower_id(self, session: Session, platform: str, user: str) -> uuid.UUID:
        return session.execute(
            text(
                "SELECT id FROM followers WHERE workspace_id = :ws AND platform = :p "
                "AND external_user_id = :u"
            ),
            {"ws": self.ws.id, "p": platform, "u": user},
        ).scalar_one()


def _lines(now: datetime, new_post_at: datetime) -> list[Line]:
    """Six complete weeks of exact activity before this week, then the sync's observed rows."""
    week0 = datetime.combine(monday(now.date()), datetime.min.time(), now.tzinfo)
    start = week0 - timedelta(weeks=6)
    lines: list[Line] = []
    for w in range(6):  # youtube: two fans commenting, one of them only from week 2 on
        lines.append(
            Line("youtube", "ann", "comment", YT_POST, start + timedelta(weeks=w, hours=9))
        )
        if w >= 2:
            lines.append(
                Line("youtube", "bob", "like", YT_POST, start + timedelta(weeks=w, days=2))
            )
    lines.append(Line("bluesky", "cat", "like", BSKY_OLD, start + timedelta(weeks=1, days=3)))
    lines.append(Line("bluesky", "cat", "comment", BSKY_OLD, start + timedelta(weeks=4, days=1)))
    # Exact likes on the new post within its first day.
    lines.append(Line("bluesky", "cat", "like", BSKY_NEW, new_post_at + timedelta(minutes=30)))
    lines.append(Line("bluesky", "dan", "like", BSKY_NEW, new_post_at + timedelta(minutes=50)))
    # The sync's observed rows: reposts Bluesky lists without a time, a Mastodon export.
    lines.append(Line("bluesky", "cat", "repost", BSKY_OLD, None))
    lines.append(Line("bluesky", "dan", "repost", BSKY_OLD, None))
    lines += [Line("bluesky", f"eve{i}", "repost", BSKY_NEW, None) for i in range(30)]
    lines += [Line("mastodon", f"moe{i}", "favourite", None, None) for i in range(12)]
    return lines


def _records(
    lines: list[Line], new_post_at: datetime, old_post_at: datetime
) -> list[dict[str, Any]]:
    posts = [
        {"type": "post", "platform": "youtube", "external_post_id": YT_POST,
         "caption": "Studio tour", "posted_at": iso(old_post_at)},
        {"type": "post", "platform": "bluesky", "external_post_id": BSKY_OLD,
         "caption": "Old thread about lenses", "posted_at": iso(old_post_at)},
        {"type": "post", "platform": "bluesky", "external_post_id": BSKY_NEW,
         "caption": "New video is out", "posted_at": iso(new_post_at)},
    ]  # fmt: skip
    records: list[dict[str, Any]] = list(posts)
    for x in lines:
        record: dict[str, Any] = {
            "type": "interaction",
            "platform": x.platform,
            "interaction_type": x.kind,
            "user": {"external_user_id": x.user, "username": x.user},
        }
        if x.post:
            record["external_post_id"] = x.post
        if x.at is not None:
            record["occurred_at"] = iso(x.at)
        records.append(record)
    return records


@pytest.fixture
def world(session: Session) -> World:
    ws = create_workspace(session)
    now = session.execute(text("SELECT now()")).scalar_one()  # when ingest stores observed rows
    new_post_at = (now - timedelta(hours=2)).replace(microsecond=0)
    lines = _lines(now, new_post_at)
    old_post_at = min(x.at for x in lines if x.at is not None) - timedelta(days=1)
    summary = ingest_records(
        session,
        workspace_id=ws.id,
        records=_records(lines, new_post_at, old_post_at),
        source="test",
    )
    assert not summary.rejects and summary.interactions_inserted == len(lines)
    return World(ws, now, lines, new_post_at, old_post_at)


def test_stored_precision_matches_the_lines(session: Session, world: World) -> None:
    stored = session.execute(
        text(
            "SELECT time_precision, count(*) FROM follower_interactions WHERE workspace_id = :ws "
            "GROUP BY 1"
        ),
        {"ws": world.ws.id},
    ).all()
    assert dict(stored) == {"exact": len(world.exact()), "observed": len(world.observed())}


def test_weekly_trend_counts_exact_times_and_shows_observed_as_time_unknown(
    session: Session, world: World
) -> None:
    overview = analytics.overview(session=session, workspace_id=world.ws.id)

    per_week = Counter((monday(x.at.date()), x.platform) for x in world.exact() if x.at)
    spans: dict[str, tuple[date, date]] = {}
    for x in world.exact():
        assert x.at is not None
        first, last = spans.get(x.platform, (x.at.date(), x.at.date()))
        spans[x.platform] = (min(first, x.at.date()), max(last, x.at.date()))
    last_week = monday(max(last for _, last in spans.values()))
    weeks = [last_week - timedelta(weeks=k) for k in range(11, -1, -1)]
    expected = [
        (w, p, per_week.get((w, p), 0) if w <= last and w + timedelta(days=6) >= first else None)
        for w in weeks
        for p, (first, last) in sorted(spans.items())
    ]
    assert [(r.week, r.platform, r.interactions) for r in overview.weekly] == expected
    unknown = Counter(x.platform for x in world.observed())
    assert {t.platform: t.interactions for t in overview.time_unknown} == unknown
    # The observed spike is in no week: the weeks hold exactly the exact-time lines.
    assert sum(r.interactions or 0 for r in overview.weekly) == len(world.exact())
    # Totals still count every interaction.
    assert overview.totals.interactions == len(world.lines)


def test_first_and_last_seen_come_from_exact_times(session: Session, world: World) -> None:
    users = {(x.platform, x.user) for x in world.lines}
    for platform, user in sorted(users):
        times = [x.at for x in world.exact() if (x.platform, x.user) == (platform, user) and x.at]
        observed = any(
            x.at is None for x in world.lines if (x.platform, x.user) == (platform, user)
        )
        detail = audience.get_detail(
            session=session,
            workspace_id=world.ws.id,
            follower_id=world.follower_id(session, platform, user),
            activity_cursor=None,
            activity_limit=5,
        )
        assert detail.profile.first_seen_at == (min(times) if times else None), user
        assert detail.profile.last_seen_at == (max(times) if times else None), user
        assert detail.profile.seen_by == (world.now if observed else None), user


def test_cohorts_leave_observed_only_followers_out_unless_asked(
    session: Session, world: World
) -> None:
    first: dict[tuple[str, str], datetime] = {}
    for x in world.exact():
        assert x.at is not None
        key = (x.platform, x.user)
        first[key] = min(first.get(key, x.at), x.at)
    expected = Counter((monday(at.date()), platform) for (platform, _), at in first.items())
    got = analytics.cohorts(session=session, workspace_id=world.ws.id, platform=None, since=None)
    assert {(r.cohort_week, r.platform): r.follower_count for r in got.items} == expected

    observed_only = Counter(
        platform
        for platform, user in {(x.platform, x.user) for x in world.observed()}
        if (platform, user) not in first
    )
    with_unknown = analytics.cohorts(
        session=session,
        workspace_id=world.ws.id,
        platform=None,
        since=None,
        include_time_unknown=True,
    )
    unknown_rows = [r for r in with_unknown.items if r.cohort_week is None]
    assert {r.platform: r.follower_count for r in unknown_rows} == observed_only
    assert with_unknown.items[: len(got.items)] == got.items  # dated rows unchanged, first


def test_retention_cohorts_and_returns_use_exact_weeks(session: Session, world: World) -> None:
    as_of = world.now.date()
    active: dict[tuple[str, str], set[date]] = defaultdict(set)
    for x in world.exact():
        assert x.at is not None
        active[(x.platform, x.user)].add(monday(x.at.date()))
    cells: Counter[tuple[date, date]] = Counter()
    for weeks in active.values():
        for w in weeks:
            cells[(min(weeks), w)] += 1

    m = retention.matrix(session=session, workspace_id=world.ws.id, periods=8, as_of=as_of)
    got = {
        (c.cohort, cell.period_start): cell.followers
        for c in m.cohorts
        for cell in c.cells
        if cell.followers
    }
    assert got == dict(cells)
    sizes = Counter(min(weeks) for weeks in active.values())
    assert {c.cohort: c.size for c in m.cohorts if c.size} == sizes
    # No "new" cohort in the sync week made of the sync's observed-only followers; they are
    # counted apart.
    assert sizes[monday(as_of)] < len({x.user for x in world.observed()})
    observed_only = {(x.platform, x.user) for x in world.observed()} - set(active)
    assert m.time_unknown_followers == len(observed_only)


def test_best_time_counts_exact_engagement_in_the_first_day(session: Session, world: World) -> None:
    best = insights.best_time(session=session, workspace_id=world.ws.id, platform="bluesky")
    posts: Counter[tuple[int, int]] = Counter()
    engagement: Counter[tuple[int, int]] = Counter()
    for post, posted in ((BSKY_OLD, world.old_post_at), (BSKY_NEW, world.new_post_at)):
        cell = (posted.isoweekday(), posted.hour)
        posts[cell] += 1
        engagement[cell] += sum(
            1
            for x in world.exact()
            if x.post == post and x.at is not None and posted <= x.at < posted + timedelta(hours=24)
        )
    assert {(c.weekday, c.hour): (c.posts, c.avg_engagement) for c in best.cells} == {
        cell: (n, round(engagement[cell] / n, 2)) for cell, n in posts.items()
    }  # the 30 reposts seen by the sync an hour or two after the new post are not in it


def test_activity_window_holds_exact_rows_and_the_timeline_marks_observed_ones(
    session: Session, world: World
) -> None:
    since = world.now - timedelta(days=3)
    page = activity.newest(
        session=session,
        workspace_id=world.ws.id,
        filters=ActivityFilters(since=since, until=world.now + timedelta(seconds=1)),
        limit=100,
    )
    expected = sorted((x.at for x in world.exact() if x.at and since <= x.at), reverse=True)
    assert [i.occurred_at for i in page.items] == expected
    assert {i.time_precision for i in page.items} == {"exact"}

    everything = activity.newest(
        session=session,
        workspace_id=world.ws.id,
        filters=ActivityFilters(platform="bluesky"),
        limit=100,
    )
    observed = [i for i in everything.items if i.time_precision == "observed"]
    assert len(observed) == sum(1 for x in world.observed() if x.platform == "bluesky")
    assert all(i.occurred_at == world.now for i in observed)


def test_person_timeline_shows_titles_and_precision(session: Session, world: World) -> None:
    cat = world.follower_id(session, "bluesky", "cat")  # a person's id is their first identity's
    person = people.detail(session=session, workspace_id=world.ws.id, person_id=cat)
    titles = {BSKY_OLD: "Old thread about lenses", BSKY_NEW: "New video is out"}
    expected = sorted(
        (
            (x.at is None, titles[x.post], x.kind)
            for x in world.lines
            if (x.platform, x.user) == ("bluesky", "cat") and x.post
        ),
    )
    got = sorted(
        (t.time_precision == "observed", t.content_title, t.interaction_type)
        for t in person.timeline
    )
    assert got == expected
    assert not any((t.content_title or "").startswith("at://") for t in person.timeline)


def test_leaderboard_last_interaction_is_the_last_exact_one(session: Session, world: World) -> None:
    last: dict[tuple[str, str], datetime] = {}
    for x in world.exact():
        assert x.at is not None
        last[(x.platform, x.user)] = max(last.get((x.platform, x.user), x.at), x.at)
    board = audience.leaderboard(
        session=session, workspace_id=world.ws.id, platform=None, limit=100
    )
    users = {(x.platform, x.user) for x in world.lines}
    assert len(board.items) == len(users)
    for entry in board.items:
        assert entry.last_interaction_at == last.get((entry.platform, entry.username or "")), entry
