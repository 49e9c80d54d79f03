"""Linking many pairs at once: by selection, by similarity, chains, skips with their reasons,
re-runs, and unlinking many posts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from fanlens.content import link_batch, linking
from fanlens.content.models import ContentPost
from fanlens.content.schemas import MAX_BULK_PAIRS, LinkPairIn
from fanlens.demo.generate import generate_world
from fanlens.interactions.ingest import ingest_records
from fanlens.kit.errors import InvalidInput
from fanlens.workspaces.models import Workspace
from tests.fixtures.builders import create_content, create_post, create_workspace

WHEN = datetime(2026, 11, 2, 9, tzinfo=UTC)


def _posts(session: Session, ws: Workspace, *platforms: str, caption: str) -> list[ContentPost]:
    """One post per platform, each in an item of its own, an hour apart, one caption."""
    return [
        create_post(
            session,
            create_content(session, ws),
            platform=platform,
            caption=f"{caption} #{platform}",
            posted_at=WHEN + timedelta(hours=n),
        )
        for n, platform in enumerate(platforms)
    ]


def _pairs(*pairs: tuple[ContentPost, ContentPost]) -> list[LinkPairIn]:
    return [LinkPairIn(post_id=a.id, other_post_id=b.id) for a, b in pairs]


def _items(session: Session, *posts: ContentPost) -> list[uuid.UUID]:
    for post in posts:
        session.refresh(post)
    return [post.content_id for post in posts]


def _reasons(out: link_batch.BulkLinkOut) -> list[str]:
    return [s.reason for s in out.skipped]


def test_selected_pairs_are_linked_like_single_links(session: Session) -> None:
    ws = create_workspace(session)
    tt, ig = _posts(session, ws, "tiktok", "instagram", caption="Cold brew secrets revealed")
    yt, bs = _posts(session, ws, "youtube", "bluesky", caption="Matcha at home honestly easy")
    before = _items(session, tt, ig, yt, bs)

    out = link_batch.link_pairs(
        session=session, workspace_id=ws.id, pairs=_pairs((tt, ig), (yt, bs))
    )

    assert out.skipped == [] and len(out.linked) == 2
    assert _items(session, tt, ig, yt, bs) == [before[0], before[0], before[2], before[2]]
    decisions = {(d.moved_post_id, d.previous_content_id, d.decision) for d in out.linked}
    assert decisions == {(ig.id, before[1], "accepted"), (bs.id, before[3], "accepted")}
    stored = linking.decisions(session=session, workspace_id=ws.id)
    assert sorted(d.id for d in stored) == sorted(d.id for d in out.linked)
    assert linking.suggestions(session=session, workspace_id=ws.id) == []


def test_a_chain_ends_in_one_item_whatever_the_order_of_its_pairs(session: Session) -> None:
    ws = create_workspace(session)
    a, b, c = _posts(session, ws, "tiktok", "instagram", "youtube", caption="Iced latte hack")
    item_b = _items(session, b)[0]

    # One by one, (B, C) then (A, B) would leave C behind in B's old item.
    out = link_batch.link_pairs(session=session, workspace_id=ws.id, pairs=_pairs((b, c), (a, b)))

    assert out.skipped == [] and len(out.linked) == 2
    assert _items(session, a, b, c) == [item_b] * 3
    assert {(d.post_id, d.other_post_id) for d in out.linked} == {
        linking._pair(b.id, c.id),
        linking._pair(a.id, b.id),
    }


def test_a_triangle_links_two_pairs_and_reports_the_third(session: Session) -> None:
    ws = create_workspace(session)
    a, b, c = _posts(session, ws, "tiktok", "instagram", "youtube", caption="Oat milk foam")
    item_a = _items(session, a)[0]

    pairs = _pairs((a, b), (b, c), (a, c))
    out = link_batch.link_pairs(session=session, workspace_id=ws.id, pairs=pairs)

    assert len(out.linked) == 2 and _reasons(out) == ["linked"]
    # A's neighbours come first: A–B and A–C move B and C, so B–C finds them together.
    assert (out.skipped[0].post_id, out.skipped[0].other_post_id) == (b.id, c.id)
    assert _items(session, a, b, c) == [item_a] * 3
    again = link_batch.link_pairs(session=session, workspace_id=ws.id, pairs=pairs)
    assert again.linked == [] and _reasons(again) == ["linked"] * 3  # a re-run changes nothing
    assert _items(session, a, b, c) == [item_a] * 3
    assert len(linking.decisions(session=session, workspace_id=ws.id)) == 2


def test_pairs_that_can_no_longer_be_linked_are_skipped_with_their_reason(session: Session) -> None:
    ws = create_workspace(session)
    tt, ig = _posts(session, ws, "tiktok", "instagram", caption="Espresso tonic summer")
    yt, bs = _posts(session, ws, "youtube", "bluesky", caption="Chai concentrate batch")
    ig2, md2, gone = _posts(session, ws, "instagram", "mastodon", "youtube", caption="Affogato")
    shown, other, mover = _posts(session, ws, "youtube", "mastodon", "tiktok", caption="Mocha")
    md, tt2, tt3 = _posts(session, ws, "mastodon", "tiktok", "tiktok", caption="Flat white")
    linking.reject(session=session, workspace_id=ws.id, post_id=tt.id, other_post_id=ig.id)
    linking.link(session=session, workspace_id=ws.id, post_id=bs.id, other_post_id=yt.id)
    seen = _items(session, shown)[0]
    linking.link(session=session, workspace_id=ws.id, post_id=mover.id, other_post_id=shown.id)
    linking.link(session=session, workspace_id=ws.id, post_id=md.id, other_post_id=tt2.id)
    session.delete(gone)
    session.flush()
    pairs = [
        *_pairs((tt, ig), (ig2, gone), (bs, yt)),
        LinkPairIn(post_id=shown.id, other_post_id=other.id, post_content_id=seen),
        *_pairs((md, tt3), (ig2, md2)),
    ]

    out = link_batch.link_pairs(session=session, workspace_id=ws.id, pairs=pairs)

    by_pair = {(s.post_id, s.other_post_id): s.reason for s in out.skipped}
    assert by_pair == {
        (tt.id, ig.id): "rejected",
        (ig2.id, gone.id): "not_found",
        (bs.id, yt.id): "linked",
        (shown.id, other.id): "moved",
        (md.id, tt3.id): "platform_taken",  # md's item holds tt2: a second TikTok post
    }
    assert [d.moved_post_id for d in out.linked] == [md2.id]
    assert _items(session, md2)[0] == _items(session, ig2)[0]


def test_a_post_placed_by_the_batch_is_not_moved_again(session: Session) -> None:
    ws = create_workspace(session)
    a, b, c = _posts(session, ws, "tiktok", "instagram", "youtube", caption="Cortado basics")
    linking.reject(session=session, workspace_id=ws.id, post_id=a.id, other_post_id=b.id)

    # A's pairs come first: A–B is rejected, A–C moves C into A's item, and B–C would pull C
    # away from A again.
    pairs = _pairs((a, b), (b, c), (a, c))
    out = link_batch.link_pairs(session=session, workspace_id=ws.id, pairs=pairs)

    assert _reasons(out) == ["rejected", "split"]
    assert _items(session, a)[0] == _items(session, c)[0] != _items(session, b)[0]


def test_everything_above_a_similarity_on_a_world_of_cross_posts(session: Session) -> None:
    ws = create_workspace(session)
    world = generate_world("tiny", seed=13, unlinked=True)
    ingest_records(session, workspace_id=ws.id, records=world.records(), source="test")
    pending = link_batch.pending_above(session=session, workspace_id=ws.id, min_similarity=0.9)
    everything = linking.suggestions(session=session, workspace_id=ws.id, limit=None)
    assert 0 < len(pending) < len(everything)

    out = link_batch.link_above(session=session, workspace_id=ws.id, min_similarity=0.9)

    assert len(out.linked) + len(out.skipped) == len(pending) and out.left_over == 0
    assert len(out.linked) > 0
    posts = {
        p.id: p
        for p in session.scalars(select(ContentPost).where(ContentPost.workspace_id == ws.id))
    }
    truth = world.planted_links()
    for d in out.linked:
        one, two = posts[d.post_id], posts[d.other_post_id]
        assert one.content_id == two.content_id
        key = frozenset(
            {(one.platform, one.external_post_id), (two.platform, two.external_post_id)}
        )
        assert key in truth
    left = link_batch.pending_above(session=session, workspace_id=ws.id, min_similarity=0.9)
    again = link_batch.link_above(session=session, workspace_id=ws.id, min_similarity=0.9)
    assert again.linked == [] and len(again.skipped) == len(left)


def test_unlink_many_puts_posts_back_and_reports_the_rest(session: Session) -> None:
    ws = create_workspace(session)
    tt, ig, yt = _posts(session, ws, "tiktok", "instagram", "youtube", caption="Cold foam how to")
    before = _items(session, tt, ig, yt)
    link_batch.link_pairs(session=session, workspace_id=ws.id, pairs=_pairs((tt, ig), (tt, yt)))

    out = link_batch.unlink_posts(
        session=session, workspace_id=ws.id, post_ids=[ig.id, yt.id, tt.id, ig.id]
    )

    assert [d.moved_post_id for d in out.unlinked] == [ig.id, yt.id]
    assert [(s.post_id, s.reason) for s in out.skipped] == [(tt.id, "not_linked")]
    assert _items(session, tt, ig, yt) == before
    assert {d.decision for d in linking.decisions(session=session, workspace_id=ws.id)} == {
        "rejected"
    }


def test_bounds(session: Session) -> None:
    ws = create_workspace(session)
    one = LinkPairIn(post_id=uuid.uuid4(), other_post_id=uuid.uuid4())
    with pytest.raises(InvalidInput):
        link_batch.link_pairs(
            session=session, workspace_id=ws.id, pairs=[one] * (MAX_BULK_PAIRS + 1)
        )
    with pytest.raises(InvalidInput):
        link_batch.link_pairs(session=session, workspace_id=ws.id, pairs=[])
    with pytest.raises(InvalidInput):
        link_batch.link_above(session=session, workspace_id=ws.id, min_similarity=1.5)
    with pytest.raises(InvalidInput):
        link_batch.unlink_posts(session=session, workspace_id=ws.id, post_ids=[])
    assert (
        link_batch.link_pairs(session=session, workspace_id=ws.id, pairs=[one]).skipped[0].reason
        == "not_found"
    )
