"""SQL of the people domain: rows and statements, no rules."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from typing import Any

from sqlalchemy import ColumnElement, Text, func, select, text, update
from sqlalchemy.orm import Session

from fanlens.audience.models import Follower
from fanlens.connectors.base import Profile
from fanlens.kit import locks
from fanlens.people.models import Person as PersonModel
from fanlens.people.models import PersonIdentity, PersonMerge, PersonSuggestion
from fanlens.scoring.models import FollowerEngagementScore, FollowerInteractionCount


def lock_refresh(session: Session, *, workspace_id: uuid.UUID) -> None:
    """Held to the end of the transaction: refreshes of one workspace run one after another,
    so two of them never try to merge the same people."""
    stmt = text("SELECT pg_advisory_xact_lock(:cls, hashtext(CAST(:ws AS text)))")
    session.execute(stmt, {"cls": locks.PEOPLE_REFRESH, "ws": workspace_id})


def lock_people(
    session: Session, *, workspace_id: uuid.UUID, person_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, PersonModel]:
    """The people of this workspace among person_ids, locked in id order (no deadlocks)."""
    rows = session.scalars(
        select(PersonModel)
        .where(PersonModel.workspace_id == workspace_id, PersonModel.id.in_(person_ids))
        .order_by(PersonModel.id)
        .with_for_update()
    )
    return {p.id: p for p in rows}


def get_person(
    session: Session, *, workspace_id: uuid.UUID, person_id: uuid.UUID
) -> PersonModel | None:
    return session.scalars(
        select(PersonModel).where(
            PersonModel.workspace_id == workspace_id, PersonModel.id == person_id
        )
    ).one_or_none()


def follower_ids_of(session: Session, *, person_id: uuid.UUID) -> list[uuid.UUID]:
    return list(
        session.scalars(
            select(PersonIdentity.follower_id)
            .where(PersonIdentity.person_id == person_id)
            .order_by(PersonIdentity.follower_id)
        )
    )


def people_of_followers(
    session: Session, *, workspace_id: uuid.UUID, follower_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    rows = session.execute(
        select(PersonIdentity.follower_id, PersonIdentity.person_id).where(
            PersonIdentity.workspace_id == workspace_id,
            PersonIdentity.follower_id.in_(follower_ids),
        )
    )
    return {r.follower_id: r.person_id for r in rows}


def move_identities(
    session: Session, *, follower_ids: Sequence[uuid.UUID], to_person_id: uuid.UUID
) -> int:
    result = session.execute(
        update(PersonIdentity)
        .where(PersonIdentity.follower_id.in_(follower_ids))
        .values(person_id=to_person_id)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def _same_follower(row: Any, follower: type[Follower]) -> ColumnElement[bool]:
    """A row of the follower: by its id and workspace, so that Citus joins on one node."""
    return (row.follower_id == follower.id) & (row.workspace_id == follower.workspace_id)


def identities(session: Session, *, workspace_id: uuid.UUID, person_id: uuid.UUID) -> Sequence[Any]:
    f, s = Follower, FollowerEngagementScore
    return session.execute(
        select(
            f.id.label("follower_id"),
            f.platform,
            f.external_user_id,
            f.username,
            f.display_name,
            f.profile_url,
            f.avatar_url,
            f.bio,
            f.verified,
            f.follower_count,
            func.fanlens_reach_tier(f.follower_count, type_=Text).label("reach_tier"),
            s.engagement_score,
            s.engagement_tier,
            s.interaction_count,
            s.last_interaction_at,
        )
        .join(PersonIdentity, _same_follower(PersonIdentity, f))
        .outerjoin(s, _same_follower(s, f))
        .where(PersonIdentity.workspace_id == workspace_id, PersonIdentity.person_id == person_id)
        .order_by(f.platform, f.id)
    ).all()


_HANDLE_COLUMNS = (
    "SELECT f.id AS follower_id, f.platform, f.username, f.display_name, pi.person_id "
    "FROM followers f JOIN person_identities pi"
    " ON pi.follower_id = f.id AND pi.workspace_id = f.workspace_id "
    "WHERE f.workspace_id = :ws AND "
)
# Byte-order operators, so the text_pattern_ops index reads a prefix as one range, in order:
# a handle that starts with :handle lies between it and it followed by the last code point.
_HANDLES_EQUAL = text(
    _HANDLE_COLUMNS + "lower(f.username) = :handle ORDER BY f.platform, f.id LIMIT :n"
)
_HANDLES_STARTING = text(
    _HANDLE_COLUMNS + "lower(f.username) ~>=~ :handle AND lower(f.username) ~<~ :upto "
    "ORDER BY lower(f.username) USING ~<~, f.platform, f.id LIMIT :n"
)
LAST_CODE_POINT = "\U0010ffff"


def identities_by_handle(
    session: Session, *, workspace_id: uuid.UUID, handle: str, prefix: bool, limit: int
) -> Sequence[Any]:
    """The identities whose lower-case username is `handle` or, with `prefix`, starts with it;
    each with its person. Both read an index of (workspace_id, lower(username))."""
    params = {"ws": workspace_id, "handle": handle, "n": limit}
    if not prefix:
        return session.execute(_HANDLES_EQUAL, params).all()
    return session.execute(_HANDLES_STARTING, {**params, "upto": handle + LAST_CODE_POINT}).all()


def interaction_types(
    session: Session, *, workspace_id: uuid.UUID, person_id: uuid.UUID
) -> Sequence[Any]:
    """How often the person did each interaction type, over all their identities, from the
    per-follower counts the triggers keep."""
    c = FollowerInteractionCount
    total = func.sum(c.interaction_count)
    return session.execute(
        select(c.interaction_type, total.label("count"))
        .join(
            PersonIdentity,
            (PersonIdentity.follower_id == c.follower_id)
            & (PersonIdentity.workspace_id == c.workspace_id),
        )
        .where(PersonIdentity.workspace_id == workspace_id, PersonIdentity.person_id == person_id)
        .group_by(c.interaction_type)
        .order_by(total.desc(), c.interaction_type)
    ).all()


# Each identity as {follower_id, platform, username, display_name}, ordered by platform.
_HANDLES = (
    "json_agg(json_build_object('follower_id', f.id, 'platform', f.platform,"
    " 'username', f.username, 'display_name', f.display_name) ORDER BY f.platform, f.id)"
)


def platforms_and_names(
    session: Session, *, workspace_id: uuid.UUID, person_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[list[str], str | None, list[dict[str, Any]]]]:
    """Per person: their platforms, a name to show (the first identity's) and every identity's
    handle (a name alone does not tell two people apart), in one query."""
    rows = session.execute(
        text(
            "SELECT pi.person_id, array_agg(DISTINCT f.platform ORDER BY f.platform) AS platforms,"
            " (array_agg(coalesce(f.display_name, f.username) ORDER BY f.platform, f.id)"
            "  FILTER (WHERE coalesce(f.display_name, f.username) IS NOT NULL))[1] AS name, "
            + _HANDLES
            + " AS handles "
            "FROM person_identities pi"
            " JOIN followers f ON f.id = pi.follower_id AND f.workspace_id = pi.workspace_id "
            "WHERE pi.workspace_id = :ws AND pi.person_id = ANY (CAST(:ids AS uuid[]))"
            " GROUP BY pi.person_id"
        ),
        {"ws": workspace_id, "ids": list(person_ids)},
    )
    return {r.person_id: (list(r.platforms), r.name, list(r.handles)) for r in rows}


def handles_of(
    session: Session, *, workspace_id: uuid.UUID, follower_ids: Sequence[uuid.UUID]
) -> list[dict[str, Any]]:
    """The identities' handles, ordered by platform (ids of deleted followers are left out)."""
    found = session.execute(
        text(
            "SELECT " + _HANDLES + " FROM followers f"
            " WHERE f.workspace_id = :ws AND f.id = ANY (CAST(:ids AS uuid[]))"
        ),
        {"ws": workspace_id, "ids": list(follower_ids)},
    ).scalar_one()
    return list(found or [])


def active_merges(session: Session, *, workspace_id: uuid.UUID, limit: int) -> list[PersonMerge]:
    """The workspace's merges not undone, newest first."""
    return list(
        session.scalars(
            select(PersonMerge)
            .where(PersonMerge.workspace_id == workspace_id, PersonMerge.unmerged_at.is_(None))
            .order_by(PersonMerge.merged_at.desc(), PersonMerge.id)
            .limit(limit)
        )
    )


PERSON_SCORES = """
SELECT e.person_id, e.identity_count, e.engagement_score, e.interaction_count, e.comment_count,
       e.max_reach, fanlens_reach_tier(e.max_reach) AS reach_tier, e.last_interaction_at,
       fanlens_tier_for(e.engagement_score, cfg.super_fan_threshold, cfg.active_threshold,
                        cfg.lurker_threshold) AS engagement_tier
FROM person_engagement e
JOIN people p ON p.id = e.person_id AND p.workspace_id = e.workspace_id
LEFT JOIN current_scoring_configs cfg ON cfg.workspace_id = e.workspace_id
WHERE e.workspace_id = :ws AND p.merged_into_id IS NULL
"""


def person_score(session: Session, *, workspace_id: uuid.UUID, person_id: uuid.UUID) -> Any:
    return session.execute(
        text(PERSON_SCORES + " AND e.person_id = :pid"), {"ws": workspace_id, "pid": person_id}
    ).one_or_none()


def leaderboard(
    session: Session, *, workspace_id: uuid.UUID, limit: int, min_reach: int | None = None
) -> Sequence[Any]:
    """People by combined score; with min_reach, only those with an identity that large."""
    where = " AND e.max_reach >= :min_reach" if min_reach is not None else ""
    sql = (
        PERSON_SCORES
        + where
        + " AND e.engagement_score > 0 ORDER BY e.engagement_score DESC, e.person_id LIMIT :n"
    )
    params = {"ws": workspace_id, "n": limit, "min_reach": min_reach}
    return session.execute(text(sql), params).all()


def merges_of(
    session: Session, *, workspace_id: uuid.UUID, person_id: uuid.UUID
) -> Sequence[PersonMerge]:
    return list(
        session.scalars(
            select(PersonMerge)
            .where(
                PersonMerge.workspace_id == workspace_id,
                (PersonMerge.target_person_id == person_id)
                | (PersonMerge.source_person_id == person_id),
            )
            .order_by(PersonMerge.merged_at, PersonMerge.id)
        )
    )


def later_active_merge_of_target(session: Session, *, merge: PersonMerge) -> PersonMerge | None:
    """An active merge into the same target made after this one (it must be undone first)."""
    return session.scalars(
        select(PersonMerge)
        .where(
            PersonMerge.target_person_id == merge.target_person_id,
            PersonMerge.unmerged_at.is_(None),
            PersonMerge.merged_at > merge.merged_at,
        )
        .limit(1)
    ).one_or_none()


def suggestions(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    status: str | None,
    person_id: uuid.UUID | None = None,
    suggestion_id: uuid.UUID | None = None,
    limit: int = 100,
) -> Sequence[Any]:
    sql = """
    SELECT s.id, s.kind, s.confidence, s.evidence, s.status, s.created_at, s.decided_at,
           s.follower_a_id, fa.platform AS platform_a, fa.username AS username_a,
           fa.display_name AS display_name_a, pa.person_id AS person_a_id,
           s.follower_b_id, fb.platform AS platform_b, fb.username AS username_b,
           fb.display_name AS display_name_b, pb.person_id AS person_b_id
    FROM person_suggestions s
    JOIN followers fa ON fa.id = s.follower_a_id AND fa.workspace_id = s.workspace_id
    JOIN followers fb ON fb.id = s.follower_b_id AND fb.workspace_id = s.workspace_id
    JOIN person_identities pa
        ON pa.follower_id = s.follower_a_id AND pa.workspace_id = s.workspace_id
    JOIN person_identities pb
        ON pb.follower_id = s.follower_b_id AND pb.workspace_id = s.workspace_id
    WHERE s.workspace_id = :ws
      AND (CAST(:status AS text) IS NULL OR s.status = :status)
      AND (CAST(:pid AS uuid) IS NULL OR CAST(:pid AS uuid) IN (pa.person_id, pb.person_id))
      AND (CAST(:sid AS uuid) IS NULL OR s.id = CAST(:sid AS uuid))
    ORDER BY s.confidence DESC, s.id
    LIMIT :n
    """
    params = {
        "ws": workspace_id,
        "status": status,
        "pid": person_id,
        "sid": suggestion_id,
        "n": limit,
    }
    return session.execute(text(sql), params).all()


def count_suggestions(session: Session, *, workspace_id: uuid.UUID, status: str) -> int:
    stmt = select(func.count()).where(
        PersonSuggestion.workspace_id == workspace_id, PersonSuggestion.status == status
    )
    return int(session.scalar(stmt) or 0)


def get_suggestion(
    session: Session, *, workspace_id: uuid.UUID, suggestion_id: uuid.UUID
) -> PersonSuggestion | None:
    return session.scalars(
        select(PersonSuggestion)
        .where(PersonSuggestion.workspace_id == workspace_id, PersonSuggestion.id == suggestion_id)
        .with_for_update()
    ).one_or_none()


def pending_at_least(
    session: Session, *, workspace_id: uuid.UUID, confidence: float
) -> Sequence[PersonSuggestion]:
    return list(
        session.scalars(
            select(PersonSuggestion)
            .where(
                PersonSuggestion.workspace_id == workspace_id,
                PersonSuggestion.status == "pending",
                PersonSuggestion.confidence >= confidence,
            )
            .order_by(PersonSuggestion.confidence.desc(), PersonSuggestion.id)
        )
    )


# --- evidence -----------------------------------------------------------------------------

# Text that may name other identities' profiles: bios with a link or an address in them, and
# the links from profile enrichment. Matching happens in Python (people/profile_urls.py), since
# one account has many spellings that SQL string equality would miss.
LINK_MENTIONS = """
SELECT f.id AS follower_id, f.platform, f.bio AS value, 'bio' AS field
FROM followers f
WHERE f.workspace_id = :ws AND (f.bio LIKE '%/%' OR f.bio LIKE '%@%@%')
UNION ALL
SELECT f.id, f.platform, l.value, 'links'
FROM identity_profiles p
JOIN followers f ON f.id = p.follower_id AND f.workspace_id = p.workspace_id
CROSS JOIN LATERAL jsonb_array_elements_text(p.links) l(value)
WHERE p.workspace_id = :ws
"""

# What each identity's own profile URL, handle and id say about it.
LINK_TARGETS = """
SELECT id, platform, profile_url, username, external_user_id
FROM followers
WHERE workspace_id = :ws AND (profile_url IS NOT NULL OR username IS NOT NULL
                              OR platform IN ('bluesky', 'youtube'))
"""

# The handle without '@', a Mastodon instance or a Bluesky default domain, lower-cased.
_HANDLE = (
    "regexp_replace(regexp_replace(lower(ltrim(username, '@')), '@.*$', ''),"
    " '\\.bsky\\.social$', '')"
)

# Identical handles on two platforms; a handle shared by many identities says nothing.
SAME_HANDLE_PAIRS = f"""
WITH h AS (
    SELECT id, platform, {_HANDLE} AS handle, lower(display_name) AS name
    FROM followers WHERE workspace_id = :ws AND username IS NOT NULL
), common AS (
    SELECT handle FROM h GROUP BY handle HAVING count(*) BETWEEN 2 AND :max_group
)
SELECT a.id AS a_id, b.id AS b_id, a.handle, (a.name = b.name) AS same_name
FROM h a JOIN h b ON a.handle = b.handle AND a.platform < b.platform
WHERE a.handle IN (SELECT handle FROM common)
"""

HANDLE_ROWS = f"""
SELECT id, platform, {_HANDLE} AS handle, lower(display_name) AS name
FROM followers
WHERE workspace_id = :ws AND username IS NOT NULL AND display_name IS NOT NULL
"""


def link_mentions(session: Session, *, workspace_id: uuid.UUID) -> Iterator[Any]:
    return iter(session.execute(text(LINK_MENTIONS), {"ws": workspace_id}))


def link_targets(session: Session, *, workspace_id: uuid.UUID) -> Iterator[Any]:
    return iter(session.execute(text(LINK_TARGETS), {"ws": workspace_id}))


def same_handle_pairs(
    session: Session, *, workspace_id: uuid.UUID, max_group: int
) -> Sequence[Any]:
    params = {"ws": workspace_id, "max_group": max_group}
    return session.execute(text(SAME_HANDLE_PAIRS), params).all()


def handle_rows(session: Session, *, workspace_id: uuid.UUID) -> Sequence[Any]:
    return session.execute(text(HANDLE_ROWS), {"ws": workspace_id}).all()


UPSERT_SUGGESTIONS = """
INSERT INTO person_suggestions AS s
    (workspace_id, follower_a_id, follower_b_id, kind, confidence, evidence)
SELECT :ws, x.a, x.b, x.kind, x.confidence, x.evidence
FROM jsonb_to_recordset(CAST(:rows AS jsonb))
     AS x(a uuid, b uuid, kind text, confidence float8, evidence jsonb)
ON CONFLICT (workspace_id, follower_a_id, follower_b_id) DO UPDATE SET
    kind = EXCLUDED.kind, confidence = EXCLUDED.confidence, evidence = EXCLUDED.evidence
WHERE s.status = 'pending'
  AND (s.kind, s.confidence, s.evidence) IS DISTINCT FROM
      (EXCLUDED.kind, EXCLUDED.confidence, EXCLUDED.evidence)
RETURNING (xmax = 0) AS created
"""


def upsert_suggestions(session: Session, *, workspace_id: uuid.UUID, rows_json: str) -> int:
    result = session.execute(text(UPSERT_SUGGESTIONS), {"ws": workspace_id, "rows": rows_json})
    return sum(1 for r in result if r.created)


# The content's title, not its slug: a post synced without a content key has the slug
# "platform:external id", which for Bluesky is a raw at:// URI.
TIMELINE = """
SELECT i.occurred_at, i.time_precision, i.platform, i.interaction_type, i.interaction_value,
       f.username, i.content_id, c.slug AS content_slug,
       coalesce(c.title, p.caption) AS content_title
FROM follower_interactions i
JOIN person_identities pi ON pi.follower_id = i.follower_id AND pi.workspace_id = i.workspace_id
JOIN followers f ON f.id = i.follower_id AND f.workspace_id = i.workspace_id
LEFT JOIN content_items c ON c.id = i.content_id AND c.workspace_id = i.workspace_id
LEFT JOIN content_posts p ON p.id = i.content_post_id AND p.workspace_id = i.workspace_id
WHERE pi.person_id = :pid AND i.workspace_id = :ws
ORDER BY i.occurred_at DESC NULLS LAST, i.id
LIMIT :n
"""


def timeline(
    session: Session, *, workspace_id: uuid.UUID, person_id: uuid.UUID, limit: int
) -> Sequence[Any]:
    params = {"ws": workspace_id, "pid": person_id, "n": limit}
    return session.execute(text(TIMELINE), params).all()


def set_suggestion_status(
    session: Session, *, suggestion_id: uuid.UUID, status: str, by: str | None
) -> None:
    session.execute(
        update(PersonSuggestion)
        .where(PersonSuggestion.id == suggestion_id)
        .values(
            status=status,
            decided_by=by,
            decided_at=None if status == "pending" else text("now()"),
        )
        # "fetch" finds the updated row in the session by its key; the default evaluates the
        # criteria against every object the session holds, which an auto-merge of a thousand
        # suggestions (a first import) turned into a million evaluations (about 45 s).
        .execution_options(synchronize_session="fetch")
    )


def refresh_statistics(session: Session) -> None:
    """ANALYZE the tables the suggestion queries join. Right after a first import (or inside
    the import's own transaction) they have no statistics yet, and the planner, expecting one
    row each, chose nested loops that compared every suggestion with every follower: minutes
    instead of milliseconds at a few thousand suggestions. ANALYZE also sees this transaction's
    own rows."""
    session.execute(text("ANALYZE person_suggestions, person_identities, followers"))


# --- profile enrichment (see fanlens.people.enrichment) ------------------------------------

_STALEST_IDENTITIES = text(
    """
SELECT f.external_user_id
FROM followers f
LEFT JOIN identity_profiles p ON p.follower_id = f.id AND p.workspace_id = f.workspace_id
WHERE f.workspace_id = :ws AND f.platform = :platform
ORDER BY p.refreshed_at NULLS FIRST, f.id
LIMIT :n
"""
)

# Followers take the new values (an empty answer keeps the old one); every identity asked for
# is stamped refreshed, answered or not, so the next run moves on to others. (A data-modifying
# WITH runs once whether or not it is referenced.)
_STORE_PROFILES = text(
    """
WITH src AS (
    SELECT * FROM jsonb_to_recordset(CAST(:profiles AS jsonb)) AS x(
        external_user_id text, username text, display_name text, avatar_url text, bio text,
        follower_count bigint, verified boolean, links jsonb)
), updated AS (
    UPDATE followers f SET
        username = coalesce(s.username, f.username),
        display_name = coalesce(s.display_name, f.display_name),
        avatar_url = coalesce(s.avatar_url, f.avatar_url),
        bio = coalesce(s.bio, f.bio),
        follower_count = coalesce(s.follower_count, f.follower_count),
        verified = coalesce(s.verified, f.verified),
        updated_at = now()
    FROM src s
    WHERE f.workspace_id = :ws AND f.platform = :platform
      AND f.external_user_id = s.external_user_id
    RETURNING f.id
)
INSERT INTO identity_profiles AS p (follower_id, workspace_id, links, refreshed_at)
SELECT f.id, f.workspace_id, coalesce(s.links, '[]'::jsonb), now()
FROM followers f
LEFT JOIN src s ON s.external_user_id = f.external_user_id
WHERE f.workspace_id = :ws AND f.platform = :platform
  AND f.external_user_id = ANY (CAST(:asked AS text[]))
ON CONFLICT ON CONSTRAINT pk_identity_profiles
DO UPDATE SET links = EXCLUDED.links, refreshed_at = now()
"""
)


def stalest_identities(
    session: Session, *, workspace_id: uuid.UUID, platform: str, limit: int
) -> list[str]:
    params = {"ws": workspace_id, "platform": platform, "n": limit}
    return list(session.scalars(_STALEST_IDENTITIES, params))


def store_profiles(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    platform: str,
    asked: list[str],
    profiles: list[Profile],
) -> None:
    rows = [{**asdict(p), "links": list(p.links)} for p in profiles]
    session.execute(
        _STORE_PROFILES,
        {"ws": workspace_id, "platform": platform, "profiles": json.dumps(rows), "asked": asked},
    )
    session.flush()
