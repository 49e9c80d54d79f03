"""People: the rules. Service API for other domains (outreach builds on these):

- `get(session=, workspace_id=, person_id=)` → the person (following merges to the survivor)
- `person_of(session=, workspace_id=, follower_id=)` → the person a platform identity belongs to
- `identities(...)`, `score(...)`, `detail(...)`, `leaderboard(...)`, `influential(...)`
- `merge(...)`, `merge_by_handle(...)`, `unmerge(...)`, `recent_merges(...)`
- `refresh_suggestions(...)`, `decide(...)`

Keyword-only, flush never commit; every query is scoped to the workspace.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from fanlens.config import settings
from fanlens.kit.errors import Conflict, InvalidInput, NotFound
from fanlens.people import detection, repository
from fanlens.people.models import Person, PersonMerge, PersonSuggestion
from fanlens.people.schemas import (
    Handle,
    HandleMatch,
    HandleSearch,
    Identity,
    Merge,
    MergeEntry,
    PersonDetail,
    PersonEntry,
    PersonScore,
    Suggestion,
    SuggestionRun,
    TimelineEntry,
    TypeCount,
)

INFLUENTIAL_MIN_REACH = 10_000  # micro and above
HANDLE_MAX = 100  # longer than any platform's handle


def get(*, session: Session, workspace_id: uuid.UUID, person_id: uuid.UUID) -> Person:
    """The person; a person merged into another resolves to the one they are part of now."""
    person = repository.get_person(session, workspace_id=workspace_id, person_id=person_id)
    seen: set[uuid.UUID] = set()
    while person is not None and person.merged_into_id is not None and person.id not in seen:
        seen.add(person.id)
        person = repository.get_person(
            session, workspace_id=workspace_id, person_id=person.merged_into_id
        )
    if person is None:
        raise NotFound(f"no person {person_id} in this workspace")
    return person


def person_of(*, session: Session, workspace_id: uuid.UUID, follower_id: uuid.UUID) -> uuid.UUID:
    found = repository.people_of_followers(
        session, workspace_id=workspace_id, follower_ids=[follower_id]
    )
    if follower_id not in found:
        raise NotFound(f"no follower {follower_id} in this workspace")
    return found[follower_id]


def identities(
    *, session: Session, workspace_id: uuid.UUID, person_id: uuid.UUID
) -> list[Identity]:
    person = get(session=session, workspace_id=workspace_id, person_id=person_id)
    rows = repository.identities(session, workspace_id=workspace_id, person_id=person.id)
    return [Identity.model_validate(r, from_attributes=True) for r in rows]


def score(*, session: Session, workspace_id: uuid.UUID, person_id: uuid.UUID) -> PersonScore:
    person = get(session=session, workspace_id=workspace_id, person_id=person_id)
    row = repository.person_score(session, workspace_id=workspace_id, person_id=person.id)
    if row is None:  # cannot happen for an active person: they have at least one identity
        raise NotFound(f"person {person_id} has no identities")
    return PersonScore.model_validate(row, from_attributes=True)


def find_by_handle(
    *, session: Session, workspace_id: uuid.UUID, handle: str, limit: int = 50
) -> HandleSearch:
    """The identities holding `handle` (with or without '@', any case, on any platform); when
    none does, those whose handle starts with it. Each comes with its person and their name."""
    wanted = _handle(handle)
    exact, rows = _holders(session, workspace_id, wanted, limit) if wanted else (True, [])
    names = repository.platforms_and_names(
        session, workspace_id=workspace_id, person_ids=[r.person_id for r in rows]
    )
    matches = [
        HandleMatch.model_validate(r).model_copy(update={"person_name": names[r.person_id][1]})
        for r in rows
    ]
    return HandleSearch(handle=wanted, exact=exact, matches=matches)


def handles_starting(
    *, session: Session, workspace_id: uuid.UUID, handle: str, limit: int = 10
) -> list[str]:
    """Handles that start with `handle`, in byte order of their lower case, each once whatever
    its case on each platform: what the search box suggests."""
    wanted = _handle(handle)
    if not wanted:
        return []
    rows = repository.identities_by_handle(
        session, workspace_id=workspace_id, handle=wanted, prefix=True, limit=limit
    )
    first: dict[str, str] = {}
    for row in rows:
        first.setdefault(row.username.lower(), row.username)
    return list(first.values())


def _handle(typed: str) -> str:
    """A handle as typed, as stored lower case: no '@', no surrounding spaces, bounded."""
    return typed.replace("\x00", "").strip().lstrip("@").strip().lower()[:HANDLE_MAX]


def _holders(
    session: Session, workspace_id: uuid.UUID, handle: str, limit: int
) -> tuple[bool, Sequence[Any]]:
    """(exact, rows): the handle's holders, else the handles starting with it."""
    rows: Sequence[Any] = []
    for prefix in (False, True):
        rows = repository.identities_by_handle(
            session, workspace_id=workspace_id, handle=handle, prefix=prefix, limit=limit
        )
        if rows:
            return not prefix, rows
    return False, rows


def interaction_types(
    *, session: Session, workspace_id: uuid.UUID, person_id: uuid.UUID
) -> list[TypeCount]:
    """The interaction types the person's identities did, most frequent first, with how
    often (none for a person merged into another: their identities moved with the merge)."""
    rows = repository.interaction_types(session, workspace_id=workspace_id, person_id=person_id)
    return [TypeCount.model_validate(r) for r in rows]


def leaderboard(
    *, session: Session, workspace_id: uuid.UUID, limit: int = 10, min_reach: int | None = None
) -> list[PersonEntry]:
    rows = repository.leaderboard(
        session, workspace_id=workspace_id, limit=limit, min_reach=min_reach
    )
    about = repository.platforms_and_names(
        session, workspace_id=workspace_id, person_ids=[r.person_id for r in rows]
    )
    return [
        PersonEntry(
            **PersonScore.model_validate(row, from_attributes=True).model_dump(),
            rank=rank,
            name=about[row.person_id][1],
            platforms=about[row.person_id][0],
            identities=[Handle.model_validate(h) for h in about[row.person_id][2]],
        )
        for rank, row in enumerate(rows, start=1)
    ]


def influential(*, session: Session, workspace_id: uuid.UUID, limit: int = 10) -> list[PersonEntry]:
    """Engaged people with high reach: the leaderboard among people with a micro+ identity."""
    return leaderboard(
        session=session, workspace_id=workspace_id, limit=limit, min_reach=INFLUENTIAL_MIN_REACH
    )


def _name(rows: Sequence[object]) -> str | None:
    for row in rows:
        name = getattr(row, "display_name", None) or getattr(row, "username", None)
        if name:
            return str(name)
    return None


def detail(
    *, session: Session, workspace_id: uuid.UUID, person_id: uuid.UUID, timeline_limit: int = 50
) -> PersonDetail:
    person = repository.get_person(session, workspace_id=workspace_id, person_id=person_id)
    if person is None:
        raise NotFound(f"no person {person_id} in this workspace")
    ids = repository.identities(session, workspace_id=workspace_id, person_id=person.id)
    row = repository.person_score(session, workspace_id=workspace_id, person_id=person.id)
    merges = repository.merges_of(session, workspace_id=workspace_id, person_id=person.id)
    found = repository.suggestions(
        session, workspace_id=workspace_id, status=None, person_id=person.id
    )
    events = (  # a page that lists the activity itself asks for none
        repository.timeline(
            session, workspace_id=workspace_id, person_id=person.id, limit=timeline_limit
        )
        if timeline_limit
        else []
    )
    return PersonDetail(
        id=person.id,
        name=person.display_name or _name(ids),
        merged_into_id=person.merged_into_id,
        score=None if row is None else PersonScore.model_validate(row, from_attributes=True),
        identities=[Identity.model_validate(r, from_attributes=True) for r in ids],
        suggestions=[Suggestion.model_validate(s, from_attributes=True) for s in found],
        merges=_with_moved(session, workspace_id, merges),
        timeline=[TimelineEntry.model_validate(e, from_attributes=True) for e in events],
    )


def merge(
    *,
    session: Session,
    workspace_id: uuid.UUID,
    target_person_id: uuid.UUID,
    source_person_id: uuid.UUID,
    merged_by: str,
    method: str = "manual",
    suggestion_id: uuid.UUID | None = None,
    confidence: float | None = None,
    evidence: list[dict[str, object]] | None = None,
) -> PersonMerge:
    """Move every identity of source to target; source is kept (marked) so unmerge is exact."""
    if target_person_id == source_person_id:
        raise InvalidInput("a person cannot be merged into themselves")
    locked = repository.lock_people(
        session, workspace_id=workspace_id, person_ids=[target_person_id, source_person_id]
    )
    for pid in (target_person_id, source_person_id):
        if pid not in locked:  # another workspace's person is "not found" here, never merged
            raise NotFound(f"no person {pid} in this workspace")
        if locked[pid].merged_into_id is not None:
            raise Conflict(f"person {pid} is merged into {locked[pid].merged_into_id}")
    moved = repository.follower_ids_of(session, person_id=source_person_id)
    repository.move_identities(session, follower_ids=moved, to_person_id=target_person_id)
    locked[source_person_id].merged_into_id = target_person_id
    record = PersonMerge(
        workspace_id=workspace_id,
        target_person_id=target_person_id,
        source_person_id=source_person_id,
        follower_ids=moved,
        method=method,
        suggestion_id=suggestion_id,
        confidence=confidence,
        evidence=evidence,
        merged_by=merged_by,
        merged_at=datetime.now(UTC),
    )
    session.add(record)
    session.flush()
    return record


def unmerge(
    *, session: Session, workspace_id: uuid.UUID, merge_id: uuid.UUID, unmerged_by: str
) -> PersonMerge:
    """Undo one merge exactly: the source person and their identities come back as they were.

    Merges into one person stack: a later merge into the same target must be undone first,
    and a target that was itself merged away must be unmerged first.
    """
    record = session.get(PersonMerge, merge_id, with_for_update=True)
    if record is None or record.workspace_id != workspace_id:
        raise NotFound(f"no merge {merge_id} in this workspace")
    if record.unmerged_at is not None:
        raise Conflict(f"merge {merge_id} was already undone at {record.unmerged_at}")
    locked = repository.lock_people(
        session,
        workspace_id=workspace_id,
        person_ids=[record.target_person_id, record.source_person_id],
    )
    target = locked[record.target_person_id]
    if target.merged_into_id is not None:
        raise Conflict(f"person {target.id} was merged later; undo that merge first")
    later = repository.later_active_merge_of_target(session, merge=record)
    if later is not None:
        raise Conflict(f"merge {later.id} into the same person came later; undo it first")
    repository.move_identities(
        session, follower_ids=record.follower_ids, to_person_id=record.source_person_id
    )
    locked[record.source_person_id].merged_into_id = None
    record.unmerged_at = datetime.now(UTC)
    record.unmerged_by = unmerged_by
    if record.suggestion_id is not None:
        # A person undid it: the suggestion must not merge again on the next run.
        repository.set_suggestion_status(
            session, suggestion_id=record.suggestion_id, status="rejected", by=unmerged_by
        )
    session.flush()
    return record


def merge_history(
    *, session: Session, workspace_id: uuid.UUID, person_id: uuid.UUID
) -> list[Merge]:
    rows = repository.merges_of(session, workspace_id=workspace_id, person_id=person_id)
    return [Merge.model_validate(m) for m in rows]


def recent_merges(
    *, session: Session, workspace_id: uuid.UUID, limit: int = 20
) -> list[MergeEntry]:
    """The merges in force, newest first, each with the identities it moved."""
    rows = repository.active_merges(session, workspace_id=workspace_id, limit=limit)
    return _with_moved(session, workspace_id, rows)


def _with_moved(
    session: Session, workspace_id: uuid.UUID, merges: Sequence[PersonMerge]
) -> list[MergeEntry]:
    targets = [m.target_person_id for m in merges]
    about = repository.platforms_and_names(session, workspace_id=workspace_id, person_ids=targets)
    return [
        MergeEntry(
            **Merge.model_validate(m).model_dump(),
            moved=[
                Handle.model_validate(h)
                for h in repository.handles_of(
                    session, workspace_id=workspace_id, follower_ids=m.follower_ids
                )
            ],
            target_name=about[m.target_person_id][1] if m.target_person_id in about else None,
        )
        for m in merges
    ]


def merge_by_handle(
    *,
    session: Session,
    workspace_id: uuid.UUID,
    target_person_id: uuid.UUID,
    handle: str,
    platform: str | None,
    merged_by: str,
) -> PersonMerge:
    """Merge the person who has `handle` (on `platform`, when given) into the target."""
    if (
        repository.get_person(session, workspace_id=workspace_id, person_id=target_person_id)
        is None
    ):
        raise NotFound(f"no person {target_person_id} in this workspace")
    found = find_by_handle(session=session, workspace_id=workspace_id, handle=handle)
    if not found.handle:
        raise InvalidInput("give the handle of the identity to merge, e.g. @name")
    held = [m for m in found.matches if found.exact and platform in (None, m.platform)]
    where = f" on {platform}" if platform else ""
    if not held:
        raise NotFound(f"no identity @{found.handle}{where} in this workspace")
    people = {m.person_id for m in held} - {target_person_id}
    if not people:
        raise InvalidInput(f"@{found.handle}{where} already belongs to this person")
    if len(people) > 1:
        on = ", ".join(f"{m.platform} @{m.username}" for m in held)
        raise InvalidInput(f"@{found.handle} is more than one person ({on}): choose the platform")
    return merge(
        session=session,
        workspace_id=workspace_id,
        target_person_id=target_person_id,
        source_person_id=people.pop(),
        merged_by=merged_by,
    )


def suggestions(
    *, session: Session, workspace_id: uuid.UUID, status: str | None = "pending", limit: int = 100
) -> list[Suggestion]:
    rows = repository.suggestions(session, workspace_id=workspace_id, status=status, limit=limit)
    return [Suggestion.model_validate(r, from_attributes=True) for r in rows]


def pending_count(*, session: Session, workspace_id: uuid.UUID) -> int:
    return repository.count_suggestions(session, workspace_id=workspace_id, status="pending")


def refresh_suggestions(
    *, session: Session, workspace_id: uuid.UUID, auto_merge_at: float | None = None
) -> SuggestionRun:
    """Find evidence, store it as suggestions, and merge those at or above the threshold."""
    threshold = settings.people_auto_merge_confidence if auto_merge_at is None else auto_merge_at
    repository.lock_refresh(session, workspace_id=workspace_id)
    found = detection.collect(session, workspace_id=workspace_id)
    rows = [
        {
            "a": str(c.a),
            "b": str(c.b),
            "kind": c.kind,
            "confidence": c.confidence,
            "evidence": c.evidence,
        }
        for c in found
    ]
    created = repository.upsert_suggestions(
        session, workspace_id=workspace_id, rows_json=json.dumps(rows)
    )
    if created:
        repository.refresh_statistics(session)
    merged = auto_merge(session=session, workspace_id=workspace_id, threshold=threshold)
    return SuggestionRun(
        candidates=len(found), new_suggestions=created, auto_merged=merged, threshold=threshold
    )


def auto_merge(*, session: Session, workspace_id: uuid.UUID, threshold: float) -> int:
    merged = 0
    for s in repository.pending_at_least(session, workspace_id=workspace_id, confidence=threshold):
        if _accept(session=session, workspace_id=workspace_id, suggestion=s, by="auto"):
            merged += 1
    return merged


def decide(
    *,
    session: Session,
    workspace_id: uuid.UUID,
    suggestion_id: uuid.UUID,
    accept: bool,
    decided_by: str,
) -> Suggestion:
    """A reviewer's decision: accept merges the two identities' people, reject keeps them apart."""
    s = repository.get_suggestion(session, workspace_id=workspace_id, suggestion_id=suggestion_id)
    if s is None:
        raise NotFound(f"no suggestion {suggestion_id} in this workspace")
    if s.status != "pending":
        raise Conflict(f"suggestion {suggestion_id} is already {s.status}")
    if accept:
        _accept(session=session, workspace_id=workspace_id, suggestion=s, by=decided_by)
    else:
        repository.set_suggestion_status(
            session, suggestion_id=s.id, status="rejected", by=decided_by
        )
    session.flush()
    rows = repository.suggestions(
        session, workspace_id=workspace_id, status=None, suggestion_id=s.id
    )
    return Suggestion.model_validate(rows[0], from_attributes=True)


def _accept(
    *, session: Session, workspace_id: uuid.UUID, suggestion: PersonSuggestion, by: str
) -> bool:
    """Merge the people of a suggestion's two identities (if still apart); mark it merged."""
    people = repository.people_of_followers(
        session,
        workspace_id=workspace_id,
        follower_ids=[suggestion.follower_a_id, suggestion.follower_b_id],
    )
    target, source = people[suggestion.follower_a_id], people[suggestion.follower_b_id]
    did_merge = target != source
    if did_merge:
        merge(
            session=session,
            workspace_id=workspace_id,
            target_person_id=target,
            source_person_id=source,
            merged_by=by,
            method="auto" if by == "auto" else "manual",
            suggestion_id=suggestion.id,
            confidence=suggestion.confidence,
            evidence=suggestion.evidence,
        )
    repository.set_suggestion_status(session, suggestion_id=suggestion.id, status="merged", by=by)
    return did_merge
