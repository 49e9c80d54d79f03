"""Evidence that two platform identities are one person, as scored pairs.

Strong: one identity's bio or profile links name the other's profile URL. Medium: the same
handle on two platforms. Weak: similar handles (rapidfuzz) and the same display name. Pairs are
keyed (smaller follower id, larger), so each pair has one suggestion whatever found it.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy.orm import Session

from fanlens.people import repository
from fanlens.people.profile_urls import ProfileKey, identity_keys, keys_in_text, profile_key

# Confidence of each kind of evidence. The default auto-merge threshold (0.9) sits between link
# evidence and the rest, so out of the box only link evidence merges without a review.
LINK_CONFIDENCE = 0.95
SAME_HANDLE_CONFIDENCE = 0.7
SAME_HANDLE_AND_NAME_CONFIDENCE = 0.8
SIMILAR_HANDLE_MIN_RATIO = 85.0
SIMILAR_HANDLE_CONFIDENCE = (0.3, 0.5)  # at the minimum ratio .. identical letters
MAX_HANDLE_GROUP = 5  # a handle on more identities than this is a common word, not evidence
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


@dataclass
class Candidate:
    a: uuid.UUID
    b: uuid.UUID
    kind: str
    confidence: float
    evidence: list[dict[str, Any]] = field(default_factory=list)


def _pair(x: uuid.UUID, y: uuid.UUID) -> tuple[uuid.UUID, uuid.UUID]:
    return (x, y) if x < y else (y, x)


class Collector:
    """Keeps, per pair, the strongest kind and every piece of evidence found."""

    def __init__(self) -> None:
        self.pairs: dict[tuple[uuid.UUID, uuid.UUID], Candidate] = {}

    def add(
        self, x: uuid.UUID, y: uuid.UUID, kind: str, confidence: float, evidence: dict[str, Any]
    ) -> None:
        a, b = _pair(x, y)
        known = self.pairs.get((a, b))
        if known is None:
            self.pairs[(a, b)] = Candidate(a, b, kind, confidence, [evidence])
            return
        if evidence not in known.evidence:
            known.evidence.append(evidence)
        if confidence > known.confidence:
            known.kind, known.confidence = kind, confidence


def collect(session: Session, *, workspace_id: uuid.UUID) -> list[Candidate]:
    found = Collector()
    for source_id, named_id, field_name, url in link_pairs(session, workspace_id=workspace_id):
        evidence: dict[str, Any] = {
            "kind": "link",
            "field": field_name,
            "url": url,
            "on": str(source_id),
        }
        found.add(source_id, named_id, "link", LINK_CONFIDENCE, evidence)
    same = repository.same_handle_pairs(
        session, workspace_id=workspace_id, max_group=MAX_HANDLE_GROUP
    )
    for row in same:
        confidence = SAME_HANDLE_AND_NAME_CONFIDENCE if row.same_name else SAME_HANDLE_CONFIDENCE
        evidence = {"kind": "same_handle", "handle": row.handle, "same_display_name": row.same_name}
        found.add(row.a_id, row.b_id, "same_handle", confidence, evidence)
    for x, y, ratio, name in similar_handles(
        repository.handle_rows(session, workspace_id=workspace_id)
    ):
        low, high = SIMILAR_HANDLE_CONFIDENCE
        scale = (ratio - SIMILAR_HANDLE_MIN_RATIO) / (100 - SIMILAR_HANDLE_MIN_RATIO)
        evidence = {"kind": "similar_handle", "ratio": round(ratio, 1), "display_name": name}
        found.add(x, y, "similar_handle", round(low + (high - low) * scale, 3), evidence)
    return list(found.pairs.values())


def link_pairs(
    session: Session, *, workspace_id: uuid.UUID
) -> Iterable[tuple[uuid.UUID, uuid.UUID, str, str]]:
    """(source, named identity, field, link as written): a bio or profile link of the source
    names the profile of an identity on another platform, however the link is spelled."""
    named: dict[ProfileKey, list[tuple[uuid.UUID, str]]] = defaultdict(list)
    for row in repository.link_targets(session, workspace_id=workspace_id):
        keys = identity_keys(
            platform=row.platform,
            profile_url=row.profile_url,
            username=row.username,
            external_user_id=row.external_user_id,
        )
        for key in keys:
            named[key].append((row.id, row.platform))
    seen: set[tuple[uuid.UUID, uuid.UUID, str]] = set()
    for row in repository.link_mentions(session, workspace_id=workspace_id):
        for written, key in _mentioned(row.field, row.value):
            for target_id, platform in named.get(key, ()):
                if platform != row.platform and (row.follower_id, target_id, written) not in seen:
                    seen.add((row.follower_id, target_id, written))
                    yield row.follower_id, target_id, row.field, written


def _mentioned(field_name: str, value: str) -> Iterable[tuple[str, ProfileKey]]:
    if field_name == "bio":
        return keys_in_text(value)
    key = profile_key(value)
    return [(value, key)] if key is not None else []


def similar_handles(
    rows: Sequence[Any],
) -> Iterable[tuple[uuid.UUID, uuid.UUID, float, str]]:
    """Pairs on different platforms with the same display name and similar handles.

    Blocked by (display name, first five letters of the handle) so the comparison stays near
    linear; rapidfuzz's ratio compares the handles with punctuation removed.
    """
    blocks: dict[tuple[str, str], list[tuple[uuid.UUID, str, str]]] = defaultdict(list)
    for row in rows:
        squashed = _NOT_ALNUM.sub("", row.handle or "")
        if len(squashed) >= 5:
            blocks[(row.name, squashed[:5])].append((row.id, row.platform, squashed))
    for (name, _), members in blocks.items():
        for i, (id_a, platform_a, handle_a) in enumerate(members):
            for id_b, platform_b, handle_b in members[i + 1 :]:
                if platform_a == platform_b:
                    continue
                ratio = fuzz.ratio(handle_a, handle_b, score_cutoff=SIMILAR_HANDLE_MIN_RATIO)
                if ratio:
                    yield id_a, id_b, ratio, name
