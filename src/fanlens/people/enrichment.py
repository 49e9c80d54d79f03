"""Profile enrichment: refresh identities' public profiles from the connectors, on a schedule.

Each run takes the identities of one connected account's platform whose profile is oldest
(never refreshed first), asks the platform's profile endpoint in calls of the connector's size,
and stores what came back: follower count, bio, verified, avatar on the follower; links in
identity_profiles. The reach tier follows from the follower count (fanlens_reach_tier).
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import asdict

from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.orm import Session

from fanlens.connectors.base import Connector, Profile

log = logging.getLogger(__name__)

STALEST = """
SELECT f.external_user_id
FROM followers f
LEFT JOIN identity_profiles p ON p.follower_id = f.id
WHERE f.workspace_id = :ws AND f.platform = :platform
ORDER BY p.refreshed_at NULLS FIRST, f.id
LIMIT :n
"""

# Followers take the new values (an empty answer keeps the old one); every identity asked for
# is stamped refreshed, answered or not, so the next run moves on to others. (A data-modifying
# WITH runs once whether or not it is referenced.)
STORE = """
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
ON CONFLICT (follower_id) DO UPDATE SET links = EXCLUDED.links, refreshed_at = now()
"""


class EnrichResult(BaseModel):
    platform: str
    asked: int
    refreshed: int


def stalest(session: Session, *, workspace_id: uuid.UUID, platform: str, limit: int) -> list[str]:
    params = {"ws": workspace_id, "platform": platform, "n": limit}
    return list(session.scalars(text(STALEST), params))


def store(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    platform: str,
    asked: list[str],
    profiles: list[Profile],
) -> None:
    rows = [{**asdict(p), "links": list(p.links)} for p in profiles]
    session.execute(
        text(STORE),
        {"ws": workspace_id, "platform": platform, "profiles": json.dumps(rows), "asked": asked},
    )
    session.flush()


def fetch(connector: Connector, ids: list[str]) -> list[Profile]:
    size = connector.profiles_per_call
    found: list[Profile] = []
    for start in range(0, len(ids), size):
        found.extend(connector.fetch_profiles(ids[start : start + size]))
    return found
