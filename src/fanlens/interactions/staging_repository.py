"""The ingest pipeline's SQL: COPY into temporary staging tables, then set-based upserts.

Each function takes the session of the batch's transaction; nothing here commits.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from fanlens.interactions.interchange import (
    KNOWN_METRICS,
    FollowerRecord,
    InteractionRecord,
    PostRecord,
)
from fanlens.interactions.models import IngestReject
from fanlens.kit.sql import driver_connection

STAGING_DDL = """
CREATE TEMP TABLE IF NOT EXISTS stage_posts (
    line int, platform text, external_post_id text, content_slug text, has_key bool,
    content_title text, url text, caption text, posted_at timestamptz, views bigint,
    likes bigint, comments bigint, shares bigint, saves bigint, extra jsonb, has_metrics bool
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS stage_followers (
    line int, platform text, external_user_id text, username text, display_name text,
    profile_url text, avatar_url text, bio text, follower_count bigint, verified bool
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS stage_interactions (
    line int, platform text, interaction_type text, external_user_id text,
    external_post_id text, external_id text, value text, parent_external_id text,
    occurred_at timestamptz, dedup_key uuid
) ON COMMIT DELETE ROWS;
TRUNCATE stage_posts, stage_followers, stage_interactions;
"""

POST_COLUMNS = (
    "line",
    "platform",
    "external_post_id",
    "content_slug",
    "has_key",
    "content_title",
    "url",
    "caption",
    "posted_at",
    *KNOWN_METRICS,
    "extra",
    "has_metrics",
)
FOLLOWER_COLUMNS = (
    "line",
    "platform",
    "external_user_id",
    "username",
    "display_name",
    "profile_url",
    "avatar_url",
    "bio",
    "follower_count",
    "verified",
)
INTERACTION_COLUMNS = (
    "line",
    "platform",
    "interaction_type",
    "external_user_id",
    "external_post_id",
    "external_id",
    "value",
    "parent_external_id",
    "occurred_at",
    "dedup_key",
)


def stage(session: Session, *, posts: str, followers: str, interactions: str) -> None:
    """Empty staging tables (created on first use), then COPY each table's rows (COPY text)."""
    session.execute(text(STAGING_DDL))
    _copy_rows(session, "stage_posts", POST_COLUMNS, posts)
    _copy_rows(session, "stage_followers", FOLLOWER_COLUMNS, followers)
    _copy_rows(session, "stage_interactions", INTERACTION_COLUMNS, interactions)


def copy_text(rows: Sequence[tuple[Any, ...]]) -> str:
    """Rows in COPY's text format. Rendered while parsing (in the parsing thread), so the
    database connection only streams a ready buffer."""
    return "".join("\t".join(map(_copy_value, row)) + "\n" for row in rows)


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_value(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _copy_rows(session: Session, table: str, columns: Sequence[str], data: str) -> None:
    if not data:
        return
    with (
        driver_connection(session).cursor() as cur,
        cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp,
    ):
        cp.write(data)


def post_row(p: PostRecord) -> tuple[Any, ...]:
    slug = p.content_key or f"{p.platform}:{p.external_post_id}"
    title = p.content_title or (p.caption[:120] if p.caption and not p.content_key else None)
    extra = {k: v for k, v in p.metrics.items() if k not in KNOWN_METRICS}
    return (
        p.line,
        p.platform,
        p.external_post_id,
        slug,
        p.content_key is not None,
        title,
        p.url,
        p.caption,
        p.posted_at,
        *(p.metrics.get(k) for k in KNOWN_METRICS),
        json.dumps(extra),
        bool(p.metrics),
    )


def follower_row(f: FollowerRecord) -> tuple[Any, ...]:
    return (
        f.line,
        f.platform,
        f.external_user_id,
        f.username,
        f.display_name,
        f.profile_url,
        f.avatar_url,
        f.bio,
        f.follower_count,
        f.verified,
    )


def interaction_row(i: InteractionRecord) -> tuple[Any, ...]:
    return (
        i.line,
        i.platform,
        i.interaction_type,
        i.user.external_user_id,
        i.external_post_id,
        i.external_id,
        i.text,
        i.parent_external_id,
        i.occurred_at,
        i.key,
    )


UPSERT_CONTENT_ITEMS = """
INSERT INTO content_items (workspace_id, slug, title)
SELECT DISTINCT ON (content_slug) :ws, content_slug, content_title
FROM stage_posts ORDER BY content_slug, (content_title IS NULL), line DESC
ON CONFLICT (workspace_id, slug) DO UPDATE SET title = EXCLUDED.title
WHERE EXCLUDED.title IS NOT NULL AND content_items.title IS DISTINCT FROM EXCLUDED.title
"""

# Posts named with a content key follow the key; posts without one keep the content item they
# have (a user may have linked them), or get their own when new.
UPSERT_POSTS = """
WITH src AS (
    SELECT DISTINCT ON (s.platform, s.external_post_id) s.*, ci.id AS content_id
    FROM stage_posts s
    JOIN content_items ci ON ci.workspace_id = :ws AND ci.slug = s.content_slug
    ORDER BY s.platform, s.external_post_id, s.line DESC
), up AS (
    INSERT INTO content_posts AS p (
        workspace_id, content_id, platform, external_post_id, url, caption, posted_at,
        views, likes, comments, shares, saves, extra_metrics, metrics_updated_at, is_placeholder)
    SELECT :ws, content_id, platform, external_post_id, url, caption, posted_at,
           views, likes, comments, shares, saves, extra,
           CASE WHEN has_metrics THEN now() END, false
    FROM src
    ORDER BY platform, external_post_id
    ON CONFLICT (workspace_id, platform, external_post_id) DO UPDATE SET
        content_id = CASE WHEN (SELECT s2.has_key FROM src s2
                                WHERE s2.platform = p.platform
                                  AND s2.external_post_id = p.external_post_id)
                          THEN EXCLUDED.content_id ELSE p.content_id END,
        url = coalesce(EXCLUDED.url, p.url),
        caption = coalesce(EXCLUDED.caption, p.caption),
        posted_at = coalesce(EXCLUDED.posted_at, p.posted_at),
        views = coalesce(EXCLUDED.views, p.views),
        likes = coalesce(EXCLUDED.likes, p.likes),
        comments = coalesce(EXCLUDED.comments, p.comments),
        shares = coalesce(EXCLUDED.shares, p.shares),
        saves = coalesce(EXCLUDED.saves, p.saves),
        extra_metrics = p.extra_metrics || EXCLUDED.extra_metrics,
        metrics_updated_at = coalesce(EXCLUDED.metrics_updated_at, p.metrics_updated_at),
        is_placeholder = false
    WHERE p.is_placeholder
       OR (EXCLUDED.url, EXCLUDED.caption, EXCLUDED.posted_at, EXCLUDED.views, EXCLUDED.likes,
           EXCLUDED.comments, EXCLUDED.shares, EXCLUDED.saves)
          IS DISTINCT FROM
          (coalesce(EXCLUDED.url, p.url), coalesce(EXCLUDED.caption, p.caption),
           coalesce(EXCLUDED.posted_at, p.posted_at), coalesce(EXCLUDED.views, p.views),
           coalesce(EXCLUDED.likes, p.likes), coalesce(EXCLUDED.comments, p.comments),
           coalesce(EXCLUDED.shares, p.shares), coalesce(EXCLUDED.saves, p.saves))
       OR NOT (p.extra_metrics @> EXCLUDED.extra_metrics)
       OR p.content_id IS DISTINCT FROM EXCLUDED.content_id
    RETURNING (xmax = 0) AS created
)
SELECT count(*) FILTER (WHERE created) AS created, count(*) FILTER (WHERE NOT created) AS updated
FROM up
"""

# A post that moved to its real content item leaves its placeholder item empty: remove it.
DELETE_EMPTY_PLACEHOLDER_ITEMS = """
DELETE FROM content_items ci
USING stage_posts s
WHERE s.has_key AND ci.workspace_id = :ws
  AND ci.slug = s.platform || ':' || s.external_post_id
  AND NOT EXISTS (SELECT 1 FROM content_posts p WHERE p.content_id = ci.id)
"""

# Empty fields keep what is stored; unchanged rows are not rewritten, so a re-import writes
# nothing.
UPSERT_FOLLOWERS = """
WITH src AS (
    SELECT * FROM stage_followers  -- one row per identity: merged while parsing
), up AS (
    INSERT INTO followers AS f (workspace_id, platform, external_user_id, username, display_name,
                                profile_url, avatar_url, bio, follower_count, verified)
    SELECT :ws, platform, external_user_id, username, display_name, profile_url, avatar_url,
           bio, follower_count, verified
    FROM src ORDER BY platform, external_user_id
    ON CONFLICT (workspace_id, platform, external_user_id) DO UPDATE SET
        username = coalesce(EXCLUDED.username, f.username),
        display_name = coalesce(EXCLUDED.display_name, f.display_name),
        profile_url = coalesce(EXCLUDED.profile_url, f.profile_url),
        avatar_url = coalesce(EXCLUDED.avatar_url, f.avatar_url),
        bio = coalesce(EXCLUDED.bio, f.bio),
        follower_count = coalesce(EXCLUDED.follower_count, f.follower_count),
        verified = coalesce(EXCLUDED.verified, f.verified)
    WHERE (f.username, f.display_name, f.profile_url, f.avatar_url, f.bio, f.follower_count,
           f.verified) IS DISTINCT FROM
          (coalesce(EXCLUDED.username, f.username), coalesce(EXCLUDED.display_name, f.display_name),
           coalesce(EXCLUDED.profile_url, f.profile_url), coalesce(EXCLUDED.avatar_url, f.avatar_url),
           coalesce(EXCLUDED.bio, f.bio), coalesce(EXCLUDED.follower_count, f.follower_count),
           coalesce(EXCLUDED.verified, f.verified))
    RETURNING (xmax = 0) AS created
)
SELECT count(*) FILTER (WHERE created) AS created, count(*) FILTER (WHERE NOT created) AS updated
FROM up
"""

INSERT_PLACEHOLDER_POSTS = """
WITH missing AS (
    SELECT DISTINCT s.platform, s.external_post_id
    FROM stage_interactions s
    WHERE s.external_post_id IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM content_posts p
                      WHERE p.workspace_id = :ws AND p.platform = s.platform
                        AND p.external_post_id = s.external_post_id)
), items AS (
    INSERT INTO content_items (workspace_id, slug)
    SELECT :ws, platform || ':' || external_post_id FROM missing ORDER BY 2
    ON CONFLICT (workspace_id, slug) DO UPDATE SET slug = EXCLUDED.slug
    RETURNING id, slug
)
INSERT INTO content_posts (workspace_id, content_id, platform, external_post_id, is_placeholder)
SELECT :ws, items.id, m.platform, m.external_post_id, true
FROM missing m JOIN items ON items.slug = m.platform || ':' || m.external_post_id
ON CONFLICT (workspace_id, platform, external_post_id) DO NOTHING
"""

# Interactions carry no foreign keys (see FollowerInteraction): lock the posts they point at, so
# a post deleted concurrently waits for this batch and its cascade then sees the new rows. The
# followers are already locked by UPSERT_FOLLOWERS (ON CONFLICT locks each existing row).
LOCK_REFERENCED_POSTS = """
SELECT count(*) FROM (
    SELECT 1 FROM content_posts p
    WHERE p.workspace_id = :ws
      AND (p.platform, p.external_post_id) IN (
          SELECT DISTINCT platform, external_post_id FROM stage_interactions
          WHERE external_post_id IS NOT NULL)
    ORDER BY p.id
    FOR KEY SHARE OF p
) locked
"""

# Listeners (the live view, fanlens.interactions.live) hear of stored interactions on this
# channel. pg_notify in the storing statement is delivered at commit only, and dropped with a
# rolled-back batch or savepoint. A small batch names its ids; a bulk one says only how many
# (NOTIFY payloads stop at 8000 bytes, and nobody watches a 5000-row import row by row).
LIVE_CHANNEL = "fanlens_live"
LIVE_IDS_MAX = 100

# An interaction deleted on its platform (a tombstone in interaction_changes) is never stored
# again, whoever reports it; one edited before it arrived is stored with its latest text.
INSERT_INTERACTIONS = f"""
WITH ins AS (
    INSERT INTO follower_interactions (
        workspace_id, follower_id, content_id, content_post_id, platform, interaction_type,
        interaction_value, external_id, parent_external_id, occurred_at, time_precision,
        observed_at, dedup_key, edited_at)
    SELECT :ws, f.id, p.content_id, p.id, s.platform, s.interaction_type,
           CASE WHEN c.edited_at IS NULL THEN s.value ELSE c.edited_text END,
           s.external_id, s.parent_external_id, coalesce(s.occurred_at, now()),
           CASE WHEN s.occurred_at IS NULL THEN 'observed' ELSE 'exact' END, now(), s.dedup_key,
           c.edited_at
    FROM stage_interactions s
    JOIN followers f ON f.workspace_id = :ws AND f.platform = s.platform
                    AND f.external_user_id = s.external_user_id
    LEFT JOIN content_posts p ON p.workspace_id = :ws AND p.platform = s.platform
                             AND p.external_post_id = s.external_post_id
    LEFT JOIN interaction_changes c ON c.workspace_id = :ws AND c.platform = s.platform
                                   AND c.dedup_key = s.dedup_key
    WHERE c.deleted_at IS NULL
    ON CONFLICT (workspace_id, platform, dedup_key) DO NOTHING
    RETURNING id, follower_id
),
counted AS (SELECT count(*) AS inserted, count(DISTINCT follower_id) AS followers FROM ins)
SELECT inserted, followers,
       CASE WHEN inserted > 0 THEN pg_notify('{LIVE_CHANNEL}', json_build_object(
           'w', CAST(:ws AS uuid), 'n', inserted,
           'ids', CASE WHEN inserted <= {LIVE_IDS_MAX} THEN (SELECT json_agg(id) FROM ins) END
       )::text) END AS notified
FROM counted
"""


# A stored interaction with an observed time gets the platform's exact time when a record of
# it brings one (a webhook comment, then the poll that reads its `timestamp`); the UPDATE
# triggers move every derived row with it. Exact times are never replaced: the first exact
# time stored is the platform's, a re-read gives the same one, and keeping it makes storing a
# record twice a no-op even when a source rounds or shifts times. Within a batch the first
# line's time wins, as across batches.
#
# Only observed rows with a platform id can be a copy of an exact record (without an id, the
# time is part of the identity). The partial index of those rows answers first which of the
# batch's types the workspace holds any of (a probe per type), then the copies of those types
# only; the UPDATE, whose statement triggers cost even when no row changes, runs only for what
# was found. A re-sent batch with nothing to upgrade costs a probe per type.
OBSERVED_KINDS = """
SELECT k.platform, k.interaction_type
FROM unnest(CAST(:platforms AS text[]), CAST(:types AS text[])) AS k(platform, interaction_type)
WHERE EXISTS (SELECT 1 FROM follower_interactions o
              WHERE o.workspace_id = :ws AND o.platform = k.platform
                AND o.interaction_type = k.interaction_type
                AND o.time_precision = 'observed' AND o.external_id IS NOT NULL)
"""
OBSERVED_TO_UPGRADE = """
SELECT DISTINCT ON (i.id) i.id, s.occurred_at
FROM unnest(CAST(:platforms AS text[]), CAST(:types AS text[])) AS k(platform, interaction_type)
JOIN stage_interactions s ON s.platform = k.platform AND s.interaction_type = k.interaction_type
JOIN follower_interactions i ON i.workspace_id = :ws AND i.platform = s.platform
                            AND i.interaction_type = s.interaction_type
                            AND i.dedup_key = s.dedup_key
                            AND i.time_precision = 'observed' AND i.external_id IS NOT NULL
WHERE s.occurred_at IS NOT NULL AND s.external_id IS NOT NULL
ORDER BY i.id, s.line
"""
UPGRADE_OBSERVED_TIMES = """
UPDATE follower_interactions i
SET occurred_at = u.occurred_at, time_precision = 'exact'
FROM unnest(CAST(:ids AS uuid[]), CAST(:times AS timestamptz[])) AS u(id, occurred_at)
WHERE i.id = u.id AND i.time_precision = 'observed'
"""


def _run(session: Session, sql: str, workspace_id: uuid.UUID) -> Any:
    return session.execute(text(sql), {"ws": workspace_id})


def upsert_posts(session: Session, *, workspace_id: uuid.UUID) -> Row[Any]:
    """Staged posts into content items and platform posts: (created, updated)."""
    _run(session, UPSERT_CONTENT_ITEMS, workspace_id)
    row = _run(session, UPSERT_POSTS, workspace_id).one()
    _run(session, DELETE_EMPTY_PLACEHOLDER_ITEMS, workspace_id)
    return row


def upsert_followers(session: Session, *, workspace_id: uuid.UUID) -> Row[Any]:
    """Staged followers: (created, updated)."""
    return _run(session, UPSERT_FOLLOWERS, workspace_id).one()


def insert_interactions(session: Session, *, workspace_id: uuid.UUID) -> Row[Any]:
    """Staged interactions, with placeholder posts for the ones they name that are unknown:
    (inserted, followers)."""
    _run(session, INSERT_PLACEHOLDER_POSTS, workspace_id)
    _run(session, LOCK_REFERENCED_POSTS, workspace_id)
    return _run(session, INSERT_INTERACTIONS, workspace_id).one()


def upgrade_observed_times(
    session: Session, *, workspace_id: uuid.UUID, kinds: Collection[tuple[str, str]]
) -> int:
    """Stored observed-time interactions of the staged records that bring an exact time, set to
    that time: how many. `kinds`: the (platform, type) pairs staged with an id and a time."""
    params = {
        "ws": workspace_id,
        "platforms": [p for p, _ in kinds],
        "types": [t for _, t in kinds],
    }
    held = session.execute(text(OBSERVED_KINDS), params).all()
    if not held:
        return 0
    params = {"ws": workspace_id, "platforms": [r[0] for r in held], "types": [r[1] for r in held]}
    found = session.execute(text(OBSERVED_TO_UPGRADE), params).all()
    if not found:
        return 0
    params = {"ids": [r.id for r in found], "times": [r.occurred_at for r in found]}
    return int(getattr(session.execute(text(UPGRADE_OBSERVED_TIMES), params), "rowcount", 0))


def insert_rejects(session: Session, rows: list[dict[str, Any]]) -> None:
    """Rejected lines; one already stored (same source, line and raw text) is left as it is."""
    # executemany: one statement compiled once, sent in pages (a VALUES list of thousands of
    # rows costs more to compile than to run)
    session.execute(insert(IngestReject).on_conflict_do_nothing(), rows)
