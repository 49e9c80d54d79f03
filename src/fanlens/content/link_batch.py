"""Many link decisions in one transaction: the pairs a user ticked, every suggestion at or
above a similarity, or the posts to unlink. Each pair goes through `linking.link` and each
post through `linking.unlink`, so a decision is recorded exactly as a single one; a pair or
post that can no longer be decided is skipped with its reason and never fails the batch.

Pairs that share posts form chains (A–B, B–C). They are taken in the order in which each
pair's first post is already in place: from the group's first post outwards, so every post
moves at most once, into the item that holds the posts linked before it. The result equals
linking the pairs one by one in that order; a pair that would move a post this batch has
already placed (and so split a pair just linked) is skipped."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from fanlens.content import linking
from fanlens.content import linking_repository as repository
from fanlens.content.schemas import (
    MAX_BULK_PAIRS,
    BulkLinkOut,
    BulkUnlinkOut,
    LinkPairIn,
    LinkSkipReason,
    SkippedPair,
    SkippedUnlink,
)
from fanlens.kit.errors import Conflict, InvalidInput, NotFound

# Why a pair was not linked, in the words the page and the CLI show.
SKIP_REASONS: dict[str, str] = {
    "not_found": "a post no longer exists",
    "moved": "a post moved since the page was shown",
    "rejected": "already decided: not the same",
    "linked": "already one content item",
    "split": "would split a pair linked in the same batch",
    "platform_taken": "the content item already has a post on that platform",
    "not_linked": "not moved by a link",
    "item_gone": "its previous content item no longer exists",
}


def link_pairs(
    *, session: Session, workspace_id: uuid.UUID, pairs: Sequence[LinkPairIn]
) -> BulkLinkOut:
    """Accept the pairs (each `other_post_id` joins `post_id`'s item, chains as above)."""
    if not 1 <= len(pairs) <= MAX_BULK_PAIRS:
        raise InvalidInput(f"choose between 1 and {MAX_BULK_PAIRS} pairs")
    repository.lock_auto_link(session, workspace_id)  # one batch (or automatic run) at a time
    return _Batch.load(session, workspace_id, pairs).run()


def link_above(*, session: Session, workspace_id: uuid.UUID, min_similarity: float) -> BulkLinkOut:
    """Accept every suggestion at or above `min_similarity`, best first, at most
    MAX_BULK_PAIRS of them (`left_over` says how many more there are)."""
    if not 0 <= min_similarity <= 1:
        raise InvalidInput("min_similarity must be between 0 and 1")
    repository.lock_auto_link(session, workspace_id)  # chosen and linked on one state
    found = pending_above(session=session, workspace_id=workspace_id, min_similarity=min_similarity)
    if not found:
        return BulkLinkOut(linked=[], skipped=[])
    taken = found[:MAX_BULK_PAIRS]
    out = link_pairs(session=session, workspace_id=workspace_id, pairs=taken)
    out.left_over = len(found) - len(taken)
    return out


def pending_above(
    *, session: Session, workspace_id: uuid.UUID, min_similarity: float
) -> list[LinkPairIn]:
    """The suggestions at or above `min_similarity` (0–1), best first."""
    found = linking.suggestions(session=session, workspace_id=workspace_id, limit=None)
    return [
        LinkPairIn(post_id=s.post.id, other_post_id=s.other_post.id)
        for s in found
        if s.similarity >= min_similarity
    ]


def unlink_posts(
    *, session: Session, workspace_id: uuid.UUID, post_ids: Sequence[uuid.UUID]
) -> BulkUnlinkOut:
    """Unlink each post (see `linking.unlink`); a post no link moved, or whose previous item
    is gone, is skipped (unlink refuses those before it writes anything)."""
    if not 1 <= len(post_ids) <= MAX_BULK_PAIRS:
        raise InvalidInput(f"choose between 1 and {MAX_BULK_PAIRS} posts")
    out = BulkUnlinkOut(unlinked=[], skipped=[])
    for post_id in dict.fromkeys(post_ids):
        try:
            out.unlinked.append(
                linking.unlink(session=session, workspace_id=workspace_id, post_id=post_id)
            )
        except (NotFound, Conflict) as exc:
            reason = "not_linked" if isinstance(exc, NotFound) else "item_gone"
            out.skipped.append(SkippedUnlink(post_id=post_id, reason=reason))
    return out


def link_order(pairs: Sequence[LinkPairIn]) -> list[tuple[int, uuid.UUID, uuid.UUID]]:
    """(pair index, post in place, post to move) for every pair: breadth first from the first
    post of each group of pairs joined by shared posts, neighbours in the pairs' order."""
    near: dict[uuid.UUID, list[tuple[int, uuid.UUID]]] = {}
    for i, pair in enumerate(pairs):
        near.setdefault(pair.post_id, []).append((i, pair.other_post_id))
        near.setdefault(pair.other_post_id, []).append((i, pair.post_id))
    reached: set[uuid.UUID] = set()
    done: set[int] = set()
    order = []
    for pair in pairs:
        if pair.post_id in reached:
            continue
        reached.add(pair.post_id)
        queue = [pair.post_id]
        while queue:
            here = queue.pop(0)
            for i, there in near[here]:
                if i not in done:
                    done.add(i)
                    order.append((i, here, there))
                    if there not in reached:
                        reached.add(there)
                        queue.append(there)
    return order


@dataclass
class _Batch:
    """What the batch knows of its posts: where each is now and which platforms each item
    holds, updated as posts move."""

    session: Session
    workspace_id: uuid.UUID
    pairs: Sequence[LinkPairIn]
    seen: dict[uuid.UUID, uuid.UUID]  # post -> its item when the batch started
    platform: dict[uuid.UUID, str]
    where: dict[uuid.UUID, uuid.UUID]  # post -> its item now, for every post of the items
    held: Counter[tuple[uuid.UUID, str]]  # (item, platform) -> posts
    rejected: set[tuple[uuid.UUID, uuid.UUID]]
    placed: set[uuid.UUID] = field(default_factory=set)

    @classmethod
    def load(cls, session: Session, workspace_id: uuid.UUID, pairs: Sequence[LinkPairIn]) -> _Batch:
        ids = list({i for p in pairs for i in (p.post_id, p.other_post_id)})
        seen = {r.id: r.content_id for r in repository.posts_by_id(session, workspace_id, ids)}
        members = repository.item_posts(session, workspace_id, list(set(seen.values())))
        return cls(
            session=session,
            workspace_id=workspace_id,
            pairs=pairs,
            seen=seen,
            platform={r.id: r.platform for r in members},
            where={r.id: r.content_id for r in members},
            held=Counter((r.content_id, r.platform) for r in members),
            rejected=repository.rejected_pairs(session, workspace_id),
        )

    def run(self) -> BulkLinkOut:
        out = BulkLinkOut(linked=[], skipped=[])
        for i, here, there in link_order(self.pairs):
            pair = self.pairs[i]
            reason = self._why_not(pair, here, there)
            if reason is not None:
                out.skipped.append(
                    SkippedPair(
                        post_id=pair.post_id, other_post_id=pair.other_post_id, reason=reason
                    )
                )
                continue
            out.linked.append(
                linking.link(
                    session=self.session,
                    workspace_id=self.workspace_id,
                    post_id=here,
                    other_post_id=there,
                )
            )
            self._move(there, self.where[here])
            self.placed |= {here, there}
        return out

    def _move(self, post: uuid.UUID, item: uuid.UUID) -> None:
        self.held[(self.where[post], self.platform[post])] -= 1
        self.held[(item, self.platform[post])] += 1
        self.where[post] = item

    def _why_not(
        self, pair: LinkPairIn, here: uuid.UUID, there: uuid.UUID
    ) -> LinkSkipReason | None:
        if here not in self.seen or there not in self.seen:
            return "not_found"
        if self.where[here] == self.where[there]:
            return "linked"
        shown = ((pair.post_id, pair.post_content_id), (pair.other_post_id, pair.other_content_id))
        if any(item is not None and self.seen[post] != item for post, item in shown):
            return "moved"
        if (here, there) in self.rejected or (there, here) in self.rejected:
            return "rejected"
        if there in self.placed:
            return "split"
        if self.held[(self.where[here], self.platform[there])] > 0:
            return "platform_taken"
        return None
