"""Content linking: suggestions on a world with planted cross-posts, accept, reject, unlink."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from fanlens.content import linking
from fanlens.content.models import ContentPost
from fanlens.demo.generate import generate_world
from fanlens.interactions.ingest import ingest_records
from fanlens.kit.errors import Conflict
from tests.fixtures.builders import (
    create_content,
    create_follower,
    create_post,
    create_workspace,
    interact,
)


def test_suggestions_on_planted_cross_posts_are_precise(session: Session) -> None:
    ws = create_workspace(session)
    world = generate_world("small", seed=5, unlinked=True)
    posts = itertools.islice(world.records(), len(world.posts))  # posts come first
    ingest_records(session, workspace_id=ws.id, records=posts, source="test")
    ids = {
        p.id: (p.platform, p.external_post_id)
        for p in session.scalars(select(ContentPost).where(ContentPost.workspace_id == ws.id))
    }
    truth = world.planted_links()

    found = linking.suggestions(session=session, workspace_id=ws.id, limit=10_000)
    pairs = [frozenset((ids[s.post.id], ids[s.other_post.id])) for s in found]
    hits = sum(1 for p in pairs if p in truth)
    precision, recall = hits / len(pairs), hits / len(truth)
    print(f"linking: {len(pairs)} suggested, precision {precision:.3f}, recall {recall:.3f}")
    assert precision >= 0.95
    assert recall >= 0.8  # a guard against a rule that suggests almost nothing


def test_accept_reject_unlink(session: Session) -> None:
    ws = create_workspace(session)
    a = create_content(session, ws, slug="a", title="a")
    b = create_content(session, ws, slug="b", title="b")
    c = create_content(session, ws, slug="c", title="c")
    when = datetime(2026, 11, 2, 9, tzinfo=UTC)
    tt = create_post(session, a, platform="tiktok", caption="Cold brew secrets revealed #fyp",
                     posted_at=when)  # fmt: skip
    ig = create_post(session, b, platform="instagram", caption="cold brew SECRETS revealed!",
                     posted_at=when.replace(hour=20))  # fmt: skip
    yt = create_post(
        session,
        c,
        platform="youtube",
        caption="Cold brew secrets revealed",
        posted_at=when.replace(day=9),
    )  # fmt: skip (a week later)
    fan = create_follower(session, ws, platform="instagram")
    interact(session, fan, "comment", post=ig, occurred_at=when.replace(hour=21), value="yum")

    found = linking.suggestions(session=session, workspace_id=ws.id)
    assert [(s.post.id, s.other_post.id) for s in found] == [(tt.id, ig.id)]
    assert found[0].similarity == 1.0

    decision = linking.link(session=session, workspace_id=ws.id, post_id=tt.id, other_post_id=ig.id)
    session.refresh(ig)
    assert ig.content_id == a.id and decision.previous_content_id == b.id
    assert linking.suggestions(session=session, workspace_id=ws.id) == []
    with pytest.raises(Conflict):
        linking.link(session=session, workspace_id=ws.id, post_id=tt.id, other_post_id=ig.id)

    linking.unlink(session=session, workspace_id=ws.id, post_id=ig.id)
    session.refresh(ig)
    assert ig.content_id == b.id
    # Unlinked: the pair counts as rejected and is not suggested again.
    assert linking.suggestions(session=session, workspace_id=ws.id) == []
    assert [d.decision for d in linking.decisions(session=session, workspace_id=ws.id)] == [
        "rejected"
    ]
    assert yt.content_id == c.id


def test_rejected_suggestion_does_not_come_back(session: Session) -> None:
    ws = create_workspace(session)
    when = datetime(2026, 11, 2, 9, tzinfo=UTC)
    one = create_post(session, create_content(session, ws), platform="tiktok",
                      caption="Matcha at home, honestly easy", posted_at=when)  # fmt: skip
    two = create_post(session, create_content(session, ws), platform="youtube",
                      caption="Matcha at home: honestly easy #shorts", posted_at=when)  # fmt: skip
    assert len(linking.suggestions(session=session, workspace_id=ws.id)) == 1
    linking.reject(session=session, workspace_id=ws.id, post_id=two.id, other_post_id=one.id)
    assert linking.suggestions(session=session, workspace_id=ws.id) == []
