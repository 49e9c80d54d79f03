"""Content linking: suggest that posts on different platforms are one content item (similar
caption or title, posted within 72 hours), and carry out the user's answer. A rejected pair is
never suggested again; an accepted one moves one post into the other's content item and
remembers where it came from, so unlink puts it back.

Cross-posts that are beyond doubt are linked without a review after every import, API ingest
and sync (`auto_link`): the confidence of a pair is its similarity (the share of meaningful
words the two captions share), and a pair is linked when it reaches
FANLENS_CONTENT_AUTO_LINK_CONFIDENCE, the posts went out within 24 hours of each other and
nothing conflicts (the item would hold two posts on one platform, or a pair in it was rejected
or unlinked before)."""

from __future__ import annotations

import bisect
import math
import re
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session

from fanlens.content import linking_repository as repository
from fanlens.content.repository import content_exists
from fanlens.content.schemas import LinkDecisionOut, LinkedPost, LinkSuggestion
from fanlens.kit.errors import Conflict, InvalidInput, NotFound

WINDOW = timedelta(hours=72)
AUTO_WINDOW = timedelta(hours=24)
MIN_SIMILARITY = 0.5
# Words that say nothing about which video a caption is about.
STOP_WORDS = frozenset(
    {
        "a", "an", "and", "the", "of", "in", "on", "at", "to", "for", "with", "my", "your",
        "our", "this", "that", "is", "it", "new", "video", "link", "bio", "via", "by", "from",
        "just",
    }
)  # fmt: skip
_TAG = re.compile(r"[#@]\w+|https?://\S+")
_WORD = re.compile(r"[^\W_]+")


def words(text: str | None) -> frozenset[str]:
    """A caption's meaningful words: lowercased, hashtags, mentions and links left out."""
    cleaned = _TAG.sub(" ", (text or "").lower())
    return frozenset(w for w in _WORD.findall(cleaned) if w not in STOP_WORDS)


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _linked(row: Row[Any]) -> LinkedPost:
    return LinkedPost(
        id=row.id,
        platform=row.platform,
        external_post_id=row.external_post_id,
        caption=row.caption,
        posted_at=row.posted_at,
        content_id=row.content_id,
        content_title=row.title,
    )


def suggestions(
    *, session: Session, workspace_id: uuid.UUID, limit: int | None = 100
) -> list[LinkSuggestion]:
    """Pairs of posts on different platforms, in different content items, posted within 72 hours
    of each other with similar wording; best match first (all of them when `limit` is None).
    Rejected pairs are left out."""
    posts = repository.linkable_posts(session, workspace_id)  # ordered by posted_at
    rejected = repository.rejected_pairs(session, workspace_id)
    found = _candidates(posts, rejected, window=WINDOW, at_least=MIN_SIMILARITY)
    found.sort(key=lambda f: (-f[0], f[1].posted_at, str(f[1].id), str(f[2].id)))
    return [_suggestion(score, a, b) for score, a, b in _one_per_platform(found)[:limit]]


def _candidates(
    posts: Sequence[Row[Any]],
    rejected: set[tuple[uuid.UUID, uuid.UUID]],
    *,
    window: timedelta,
    at_least: float,
) -> list[tuple[float, Row[Any], Row[Any]]]:
    """Pairs on different platforms, in different items, not rejected, posted within `window`
    (posts come ordered by posted_at) and at least `at_least` similar (sharing a word).

    Only posts that share one of their rarest words are compared: a pair this similar shares
    at least `at_least` of either caption's words, so it shares one of the first
    len - ceil(at_least * len) + 1 words of each caption in rarest-first order (prefix
    filtering; a large workspace has thousands of posts a day)."""
    texts = [words(p.caption or p.title) for p in posts]
    frequency = Counter(w for text in texts for w in text)
    prefixes = []
    by_word: dict[str, list[int]] = {}
    for i, text in enumerate(texts):
        rarest = sorted(text, key=lambda w: (frequency[w], w))
        prefix = rarest[: len(rarest) - math.ceil(at_least * len(rarest)) + 1]
        prefixes.append(prefix)
        for w in prefix:
            by_word.setdefault(w, []).append(i)  # ascending, as posts are
    found = []
    for i, a in enumerate(posts):
        compared: set[int] = set()
        for w in prefixes[i]:
            later = by_word[w]
            for j in later[bisect.bisect_right(later, i) :]:
                b = posts[j]
                if b.posted_at - a.posted_at > window:
                    break
                if j in compared or a.platform == b.platform or a.content_id == b.content_id:
                    continue
                compared.add(j)
                if _pair(a.id, b.id) in rejected:
                    continue
                score = similarity(texts[i], texts[j])
                if score >= at_least:
                    found.append((score, a, b))
    return found


def auto_link(*, session: Session, workspace_id: uuid.UUID, confidence: float) -> int:
    """Link every group of cross-posts that is beyond doubt; return how many posts moved.

    Candidate pairs (within 24 h, at least `confidence` similar) join posts into groups, each
    group with the content items its posts are in. A group is linked only when the items it
    would make one hold at most one post per platform (two look-alikes on one platform are for a
    person to tell apart) and no pair in it was rejected or unlinked before; then every post of
    the group moves into the item that already holds most of them (ties: the earliest post's),
    each move recorded as an automatic accepted link, so unlink works as for any link."""
    if confidence > 1:
        return 0
    repository.lock_auto_link(session, workspace_id)  # two syncs at once: one after the other
    posts = repository.linkable_posts(session, workspace_id)
    rejected = repository.rejected_pairs(session, workspace_id)
    found = _candidates(posts, rejected, window=AUTO_WINDOW, at_least=confidence)
    if not found:
        return 0
    by_item: dict[uuid.UUID, list[Row[Any]]] = {}
    for post in posts:
        by_item.setdefault(post.content_id, []).append(post)
    moved = 0
    for group in _groups(found):
        moved += _link_group(session, workspace_id, group, by_item, rejected)
    return moved


def _groups(found: list[tuple[float, Row[Any], Row[Any]]]) -> list[list[Row[Any]]]:
    """Posts joined by candidate pairs, directly or through others (earliest post first)."""
    parent: dict[uuid.UUID, uuid.UUID] = {}
    rows: dict[uuid.UUID, Row[Any]] = {}

    def root(x: uuid.UUID) -> uuid.UUID:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for _, a, b in found:
        for row in (a, b):
            rows.setdefault(row.id, row)
            parent.setdefault(row.id, row.id)
        parent[root(a.id)] = root(b.id)
    groups: dict[uuid.UUID, list[Row[Any]]] = {}
    for post_id, row in rows.items():
        groups.setdefault(root(post_id), []).append(row)
    return [sorted(g, key=lambda r: (r.posted_at, str(r.id))) for g in groups.values()]


def _link_group(
    session: Session,
    workspace_id: uuid.UUID,
    group: list[Row[Any]],
    by_item: dict[uuid.UUID, list[Row[Any]]],
    rejected: set[tuple[uuid.UUID, uuid.UUID]],
) -> int:
    """Move the group's posts into one item when nothing conflicts; return how many moved."""
    held: dict[uuid.UUID, int] = {}
    for post in group:  # earliest first, so ties go to the earliest post's item
        held[post.content_id] = held.get(post.content_id, 0) + 1
    grouped = {post.id for post in group}
    # An item with posts outside the group stays where it is; moving from two would split one.
    partly = [item for item in held if any(p.id not in grouped for p in by_item[item])]
    if len(partly) > 1:
        return 0
    target = partly[0] if partly else max(held, key=lambda item: held[item])
    movers = [post for post in group if post.content_id != target]
    together = by_item[target] + movers
    if len({p.platform for p in together}) != len(together):
        return 0
    ids = [p.id for p in together]
    if any(_pair(a, b) in rejected for i, a in enumerate(ids) for b in ids[i + 1 :]):
        return 0
    anchor = next(post for post in group if post.content_id == target)
    for post in movers:
        _move(session, workspace_id, anchor.id, post, target)
    return len(movers)


def _move(
    session: Session,
    workspace_id: uuid.UUID,
    anchor_id: uuid.UUID,
    post: Row[Any],
    target: uuid.UUID,
) -> Row[Any]:
    """Record the accepted pair (anchor, post), then move the post into the target item."""
    first, second = _pair(anchor_id, post.id)
    row = repository.record_decision(
        session,
        workspace_id=workspace_id,
        post_id=first,
        other_post_id=second,
        decision="accepted",
        moved_post_id=post.id,
        previous_content_id=post.content_id,
    )
    repository.move_post(session, post_id=post.id, content_id=target)
    return row


def _one_per_platform(
    found: list[tuple[float, Row[Any], Row[Any]]],
) -> list[tuple[float, Row[Any], Row[Any]]]:
    """A video goes out once per platform: each post keeps its best match on each other
    platform (candidates come best first), so a near-namesake posted nearby loses to it."""
    taken: set[tuple[uuid.UUID, str]] = set()
    kept = []
    for score, a, b in found:
        if (a.id, b.platform) in taken or (b.id, a.platform) in taken:
            continue
        taken.update({(a.id, b.platform), (b.id, a.platform)})
        kept.append((score, a, b))
    return kept


def _suggestion(score: float, a: Row[Any], b: Row[Any]) -> LinkSuggestion:
    hours = (b.posted_at - a.posted_at).total_seconds() / 3600
    shared = sorted(words(a.caption or a.title) & words(b.caption or b.title))
    return LinkSuggestion(
        post=_linked(a),
        other_post=_linked(b),
        similarity=round(score, 3),
        hours_apart=round(hours, 1),
        reason=(
            f"{score:.0%} of their words shared ({', '.join(shared)}); posted {hours:.1f} h apart"
        ),
    )


def _pair(a: uuid.UUID, b: uuid.UUID) -> tuple[uuid.UUID, uuid.UUID]:
    return (a, b) if str(a) < str(b) else (b, a)


def _posts(
    session: Session, workspace_id: uuid.UUID, post_id: uuid.UUID, other_post_id: uuid.UUID
) -> tuple[Row[Any], Row[Any]]:
    if post_id == other_post_id:
        raise InvalidInput("a post cannot be linked to itself")
    found = {
        r.id: r for r in repository.posts_by_id(session, workspace_id, [post_id, other_post_id])
    }
    for wanted in (post_id, other_post_id):
        if wanted not in found:
            raise NotFound(f"no post {wanted} in this workspace")
    return found[post_id], found[other_post_id]


def link(
    *, session: Session, workspace_id: uuid.UUID, post_id: uuid.UUID, other_post_id: uuid.UUID
) -> LinkDecisionOut:
    """Make the two posts one content item: `other_post_id` moves into `post_id`'s item."""
    post, other = _posts(session, workspace_id, post_id, other_post_id)
    if post.content_id == other.content_id:
        raise Conflict("the posts are already one content item")
    row = _move(session, workspace_id, post.id, other, post.content_id)
    return LinkDecisionOut.model_validate(row._mapping)


def reject(
    *, session: Session, workspace_id: uuid.UUID, post_id: uuid.UUID, other_post_id: uuid.UUID
) -> LinkDecisionOut:
    _posts(session, workspace_id, post_id, other_post_id)
    first, second = _pair(post_id, other_post_id)
    row = repository.record_decision(
        session,
        workspace_id=workspace_id,
        post_id=first,
        other_post_id=second,
        decision="rejected",
        moved_post_id=None,
        previous_content_id=None,
    )
    return LinkDecisionOut.model_validate(row._mapping)


def unlink(*, session: Session, workspace_id: uuid.UUID, post_id: uuid.UUID) -> LinkDecisionOut:
    """Undo the latest link that moved this post: it goes back to its previous content item,
    and the pair counts as rejected (the user said they are not one item)."""
    decision = repository.latest_accepted(session, workspace_id, post_id)
    if decision is None:
        raise NotFound(f"post {post_id} was not moved by a link")
    if decision.previous_content_id is None or not content_exists(
        session, workspace_id, decision.previous_content_id
    ):
        raise Conflict("the post's previous content item no longer exists")
    repository.move_post(session, post_id=post_id, content_id=decision.previous_content_id)
    row = repository.mark_rejected(session, decision_id=decision.id)
    return LinkDecisionOut.model_validate(row._mapping)


def posts(
    *, session: Session, workspace_id: uuid.UUID, post_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, LinkedPost]:
    """The posts of the workspace among `post_ids`, by id (a deleted post is left out)."""
    rows = repository.posts_by_id(session, workspace_id, list(set(post_ids)))
    return {row.id: _linked(row) for row in rows}


def decisions(*, session: Session, workspace_id: uuid.UUID) -> Sequence[LinkDecisionOut]:
    return [
        LinkDecisionOut.model_validate(r._mapping)
        for r in repository.list_decisions(session, workspace_id)
    ]
