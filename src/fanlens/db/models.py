"""Imports every model so the metadata (Alembic, tests) sees the whole schema."""

from fanlens.alerts.models import EngagementAlert
from fanlens.audience.models import Follower
from fanlens.content.models import ContentItem, ContentPost, ContentTag
from fanlens.db.base import Base
from fanlens.interactions.models import FollowerInteraction
from fanlens.scoring.models import (
    FollowerEngagementScore,
    FollowerInteractionCount,
    FollowerTierChange,
    ScoringConfig,
    ScoringRun,
)
from fanlens.workspaces.models import Workspace

__all__ = [
    "Base",
    "ContentItem",
    "ContentPost",
    "ContentTag",
    "EngagementAlert",
    "Follower",
    "FollowerEngagementScore",
    "FollowerInteraction",
    "FollowerInteractionCount",
    "FollowerTierChange",
    "ScoringConfig",
    "ScoringRun",
    "Workspace",
]
