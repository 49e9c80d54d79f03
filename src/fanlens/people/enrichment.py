"""Profile enrichment: refresh identities' public profiles from the connectors, on a schedule.

Each run takes the identities of one connected account's platform whose profile is oldest
(never refreshed first), asks the platform's profile endpoint in calls of the connector's size,
and stores what came back: follower count, bio, verified, avatar on the follower; links in
identity_profiles. The reach tier follows from the follower count (fanlens_reach_tier).
"""

from __future__ import annotations

import logging

from pydantic import BaseModel

from fanlens.connectors.base import Connector, Profile

log = logging.getLogger(__name__)


class EnrichResult(BaseModel):
    platform: str
    asked: int
    refreshed: int


def fetch(connector: Connector, ids: list[str]) -> list[Profile]:
    size = connector.profiles_per_call
    found: list[Profile] = []
    for start in range(0, len(ids), size):
        found.extend(connector.fetch_profiles(ids[start : start + size]))
    return found
