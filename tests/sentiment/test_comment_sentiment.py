"""Sentiment on a real PostgreSQL: analysis, corrections, questions, spikes, concurrency."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from fanlens.alerts import runner as alerts_runner
from fanlens.config import settings
from fanlens.content import service as content
from fanlens.sentiment import runner, service
from fanlens.sentiment.analysers import VaderAnalyser, Verdict
from fanlens.sentiment.models import CommentSentiment
from tests.fixtures.builders import create_follower, create_workspace, interact
from tests.fixtures.webhook import Receiver
from tests.sentiment.helpers import (
    NEGATIVE,
    NEUTRAL,
    POSITIVE,
    T0,
    comment,
    content_with_post,
    creator_account,
    days,
)

VADER = VaderAnalyser()


def _analyse_all(session: Session, workspace_id: uuid.UUID, redo: bool = False) -> int:
    total, after = 0, service.FIRST_ID
    while True:
        outcome = service.analyse_batch(
            session=session, workspace_id=workspace_id, analyser=VADER, after=after, limit=7,
            redo=redo,
        )  # fmt: skip
        if outcome.claimed == 0:
            return total
        total, after = total + outcome.analysed, outcome.last_id


def _sentiment(session: Session, interaction_id: uuid.UUID) -> CommentSentiment:
    session.expire_all()
    return session.get_one(CommentSentiment, interaction_id)


def test_comments_replies_quotes_and_mentions_are_analysed_once(session: Session) -> None:
    ws = create_workspace(session)
    post = content_with_post(session, ws)
    fan = create_follower(session, ws, platform="youtube")
    ids = {
        "pos": comment(session, fan, post, POSITIVE),
        "neg": comment(session, fan, post, NEGATIVE, kind="reply"),
        "neu": comment(session, fan, post, NEUTRAL, kind="quote"),
        "es": comment(session, fan, post, "Me encanta este video, muchas gracias", kind="mention"),
    }
    interact(session, fan, "like", post=post, occurred_at=T0)  # no text: not analysed
    assert _analyse_all(session, ws.id) == 4
    labels = {k: _sentiment(session, i).label for k, i in ids.items()}
    assert labels == {
        "pos": "positive", "neg": "negative", "neu": "neutral", "es": "unsupported_language",
    }  # fmt: skip
    assert _sentiment(session, ids["es"]).language == "es"
    assert _analyse_all(session, ws.id) == 0  # nothing pending any more


def test_a_correction_wins_and_survives_reanalysis(session: Session) -> None:
    ws = create_workspace(session)
    post = content_with_post(session, ws)
    fan = create_follower(session, ws, platform="youtube")
    sarcastic = comment(session, fan, post, "Oh great, another ad. Love that for us.")
    _analyse_all(session, ws.id)
    assert _sentiment(session, sarcastic).label == "positive"  # VADER misses the sarcasm
    out = service.correct(
        session=session, workspace_id=ws.id, interaction_id=sarcastic, label="negative",
        corrected_by="amy",
    )  # fmt: skip
    assert (out.label, out.analyser_label) == ("negative", "positive")
    assert _analyse_all(session, ws.id, redo=True) == 1
    row = _sentiment(session, sarcastic)
    assert (row.corrected_label, row.corrected_by, row.label) == ("negative", "amy", "positive")
    summary = service.content_summary(
        session=session, workspace_id=ws.id, content_id=post.content_id
    )
    assert (summary.negative, summary.positive) == (1, 0)
    [exported] = service.export_labels(session=session, workspace_id=ws.id)
    assert exported["label"] == "negative" and exported["text"].startswith("Oh great")


def test_sentiments_are_deleted_with_their_interaction(session: Session) -> None:
    ws = create_workspace(session)
    post = content_with_post(session, ws)
    fan = create_follower(session, ws, platform="youtube")
    kept, gone = comment(session, fan, post, POSITIVE), comment(session, fan, post, NEGATIVE)
    _analyse_all(session, ws.id)
    session.execute(text("DELETE FROM follower_interactions WHERE id = :id"), {"id": gone})
    left = session.scalars(
        select(CommentSentiment.interaction_id).where(CommentSentiment.workspace_id == ws.id)
    ).all()
    assert left == [kept]


def test_questions_and_the_unanswered_list(session: Session) -> None:
    ws = create_workspace(session)
    post = content_with_post(session, ws)
    fan, other = (create_follower(session, ws, platform="youtube") for _ in range(2))
    me = creator_account(session, ws)
    answered = comment(session, fan, post, "What grinder do you use?")
    open_q = comment(session, other, post, "Where did you buy that kettle?", at=T0 + days(1))
    comment(session, fan, post, "Great video!")
    comment(session, other, post, "lol?")
    parent = session.execute(
        text("SELECT external_id FROM follower_interactions WHERE id = :id"), {"id": answered}
    ).scalar_one()
    comment(session, me, post, "A Comandante C40!", kind="reply", parent=parent)
    # a fan's reply to a fan's question does not answer it
    parent2 = session.execute(
        text("SELECT external_id FROM follower_interactions WHERE id = :id"), {"id": open_q}
    ).scalar_one()
    comment(session, fan, post, "probably amazon", kind="reply", parent=parent2)
    _analyse_all(session, ws.id)
    flagged = session.scalars(
        select(CommentSentiment.interaction_id).where(
            CommentSentiment.workspace_id == ws.id, CommentSentiment.is_question
        )
    ).all()
    assert set(flagged) == {answered, open_q}
    unanswered = service.unanswered_questions(
        session=session, workspace_id=ws.id, content_id=post.content_id
    )
    assert [q.interaction_id for q in unanswered] == [open_q]
    summary = service.content_summary(
        session=session, workspace_id=ws.id, content_id=post.content_id
    )
    assert summary.questions == 2 and len(summary.unanswered_questions) == 1


def test_follower_mood_and_platforms(session: Session) -> None:
    ws = create_workspace(session)
    post = content_with_post(session, ws)
    grumpy = create_follower(session, ws, platform="youtube")
    for i in range(3):
        comment(session, grumpy, post, NEGATIVE, at=T0 + days(i))
    comment(session, grumpy, post, POSITIVE, at=T0 - days(30))  # older than the recent window
    _analyse_all(session, ws.id)
    mood = service.follower_mood(
        session=session, workspace_id=ws.id, follower_id=grumpy.id, recent=3
    )
    assert (mood.mood, mood.negative, mood.total) == ("negative", 3, 3)
    [platform] = service.platform_summary(session=session, workspace_id=ws.id, since=T0 - days(60))
    assert (platform.platform, platform.positive, platform.negative) == ("youtube", 1, 3)
    assert platform.negative_share == 0.75


def _daily(session: Session, fans: list, post, day: int, negative: int, positive: int) -> None:  # type: ignore[no-untyped-def]
    at = T0 + days(day)
    for i in range(negative):
        comment(session, fans[i % len(fans)], post, NEGATIVE, at=at)
    for i in range(positive):
        comment(session, fans[i % len(fans)], post, POSITIVE, at=at)


def test_negative_spike_alert_fires_on_a_planted_spike_only(session: Session) -> None:
    ws = create_workspace(session)
    spiked, steady, grim = (content_with_post(session, ws) for _ in range(3))
    fans = [create_follower(session, ws, platform="youtube") for _ in range(4)]
    for day in range(0, 14, 2):  # the fortnight before: mostly friendly, `grim` always harsh
        _daily(session, fans, spiked, day, negative=1, positive=4)
        _daily(session, fans, steady, day, negative=1, positive=4)
        _daily(session, fans, grim, day, negative=4, positive=1)
    _daily(session, fans, spiked, 14, negative=12, positive=3)  # planted: 80 % negative
    _daily(session, fans, steady, 14, negative=3, positive=9)  # 25 %: ordinary
    _daily(session, fans, grim, 14, negative=12, positive=3)  # 80 % but it always is
    _analyse_all(session, ws.id)
    spike_day = (T0 + days(14)).date()
    created = service.detect_spikes(
        session=session, workspace_id=ws.id, day=spike_day, min_negative=10, share=0.5
    )
    assert [(a.content_id, a.negative_count, a.comment_count) for a in created] == [
        (spiked.content_id, 12, 15)
    ]
    assert created[0].baseline_share == Decimal("0.2")
    again = service.detect_spikes(
        session=session, workspace_id=ws.id, day=spike_day, min_negative=10, share=0.5
    )
    assert again == []
    quiet = service.detect_spikes(
        session=session, workspace_id=ws.id, day=(T0 + days(12)).date(), min_negative=10,
        share=0.5,
    )  # fmt: skip
    assert quiet == []


class _Recording:
    """VADER, remembering every text id it was asked to judge; slow enough to overlap."""

    name, version = "vader", "3.3.2"

    def __init__(self, seen: Counter[str]) -> None:
        self.seen = seen
        self.lock = threading.Lock()

    def analyse(self, texts: Sequence[str], languages: Sequence[str]) -> list[Verdict]:
        with self.lock:
            self.seen.update(texts)
        time.sleep(0.005)  # work that takes time, so the two runs interleave
        return VADER.analyse(texts, languages)


def test_two_concurrent_runs_never_analyse_a_comment_twice(fresh_database_url: str) -> None:
    engine = create_engine(fresh_database_url, poolclass=NullPool, pool_pre_ping=False)
    with Session(engine) as s:
        ws = create_workspace(s)
        post = content_with_post(s, ws)
        fan = create_follower(s, ws, platform="youtube")
        ids = [comment(s, fan, post, f"{POSITIVE} #{n}") for n in range(300)]
        s.commit()
        workspace_id = ws.id
    seen: Counter[str] = Counter()
    per_run: list[int] = []
    start = threading.Barrier(2)

    def run() -> None:
        start.wait()
        summary = runner.analyse_pending(
            workspace_id=workspace_id, engine=engine, analyser=_Recording(seen), batch_size=10
        )
        per_run.append(summary.analysed)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sum(seen.values()) == len(ids) and max(seen.values()) == 1
    assert sorted(per_run)[0] > 0 and sum(per_run) == len(ids)  # both runs took a share
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT count(*) FROM comment_sentiments")).scalar()
    assert stored == len(ids)
    engine.dispose()


def test_a_negative_spike_reaches_the_webhook_once(
    fresh_database_url: str,
    receiver: tuple[str, type[Receiver]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, handler = receiver
    monkeypatch.setattr(settings, "alert_webhook_url", url)
    monkeypatch.setattr(settings, "sentiment_spike_min_negative", 10)
    monkeypatch.setattr(settings, "sentiment_spike_share", 0.5)
    engine = create_engine(fresh_database_url, poolclass=NullPool)
    with Session(engine) as session:
        ws = create_workspace(session)
        post = content_with_post(session, ws)
        fans = [create_follower(session, ws, platform="youtube") for _ in range(4)]
        for day in range(0, 14, 2):
            _daily(session, fans, post, day, negative=1, positive=4)
        _daily(session, fans, post, 14, negative=12, positive=3)
        session.commit()
        ws_id, ws_name, content_id = ws.id, ws.name, post.content_id

    handler.status = 500  # the receiver is down: the alert waits
    first = runner.analyse_pending(workspace_id=ws_id, engine=engine, analyser=VADER)
    assert (first.alerts, first.notified) == (1, 0)
    handler.status = 200
    assert alerts_runner.send_pending(engine=engine) == 1
    assert alerts_runner.send_pending(engine=engine) == 0  # sent once only
    payload = handler.received[-1]
    assert payload["event"] == "fanlens.negative_comment_spike"
    assert (payload["workspace"], payload["content_id"]) == (ws_name, str(content_id))
    assert (payload["negative_count"], payload["comment_count"]) == (12, 15)
    assert payload["day"] == (T0 + days(14)).date().isoformat()
    assert len(handler.received) == 2  # one failed attempt, one delivery
    engine.dispose()


def test_the_detail_reuses_the_summary_counts_as_if_counted(session: Session) -> None:
    """The content page reads the item's sentiment once and hands it to the detail: the
    detail's label counts equal those it counts itself, before and after analysis."""
    ws = create_workspace(session)
    post = content_with_post(session, ws)
    scope = {"session": session, "workspace_id": ws.id, "content_id": post.content_id}

    def both() -> tuple[object, object]:
        mood = service.content_summary(**scope, with_trend=False)
        return content.get_detail(**scope, mood=mood).sentiment, content.get_detail(
            **scope
        ).sentiment

    assert both() == (None, None)  # no comments yet
    fan = create_follower(session, ws, platform="youtube")
    comment(session, fan, post, POSITIVE)
    comment(session, fan, post, NEGATIVE, kind="reply")
    pending, counted = both()
    assert pending == counted and counted is not None and counted.pending == 2
    _analyse_all(session, ws.id)
    analysed, counted = both()
    assert analysed == counted and counted is not None
    assert (counted.positive, counted.negative, counted.pending) == (1, 1, 0)
