"""Content linking: suggest that posts on different platforms are one content item (similar
caption or title, posted within 72 hours), and carry out the user's answer. A rejected pair is
never suggested again; an accepted one moves one post into the other's content item and
remembers where it came from, so unlink puts it back."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session

from fanlens.analytics import repository
from fanlens.analytics.schemas import LinkDecisionOut, LinkedPost, LinkSuggestion
from fanlens.kit.errors import Conflict, InvalidInput, NotFound

WINDOW = timedelta(hours=72)
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
    *, session: Session, workspace_id: uuid.UUID, limit: int = 100
) -> list[LinkSuggestion]:
    """Pairs of posts on different platforms, in different content items, posted within 72 hours
    of each other with similar wording; best match first. Rejected pairs are left out."""
    posts = repository.linkable_posts(session, workspace_id)  # ordered by posted_at
    rejected = repository.rejected_pairs(session, workspace_id)
    texts = [words(p.caption or p.title) for p in posts]
    found = []
    for i, a in enumerate(posts):
        for j in range(i + 1, len(posts)):
            b = posts[j]
            if b.posted_at - a.posted_at > WINDOW:
                break
            if a.platform == b.platform or a.content_id == b.content_id:
                continue
            if _pair(a.id, b.id) in rejected:
                continue
            score = similarity(texts[i], texts[j])
            if score >= MIN_SIMILARITY:
                found.append((score, a, b))
    found.sort(key=lambda f: (-f[0], f[1].posted_at, str(f[1].id), str(f[2].id)))
    return [_suggestion(score, a, b) for score, a, b in _one_per_platform(found)[:limit]]


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
    first, second = _pair(post_id, other_post_id)
    row = repository.record_decision(
        session,
        workspace_id=workspace_id,
        post_id=first,
        other_post_id=second,
        decision="accepted",
        moved_post_id=other.id,
        previous_content_id=other.content_id,
    )
    repository.move_post(session, post_id=other.id, content_id=post.content_id)
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
    if decision.previous_content_id is None or not repository.content_exists(
        session, workspace_id, decision.previous_content_id
    ):
        raise Conflict("the post's previous content item no longer exists")
    repository.move_post(session, post_id=post_id, content_id=decision.previous_content_id)
    row = repository.mark_rejected(session, decision_id=decision.id)
    return LinkDecisionOut.model_validate(row._mapping)


def decisions(*, session: Session, workspace_id: uuid.UUID) -> Sequence[LinkDecisionOut]:
    return [
        LinkDecisionOut.model_validate(r._mapping)
        for r in repository.list_decisions(session, workspace_id)
    ]
