"""Imports every model so the metadata (Alembic, tests) sees the whole schema."""

from fanlens.alerts.models import EngagementAlert
from fanlens.analytics.models import (
    FollowerActivePeriod,
    PostFirstDayEngagement,
    RetentionCell,
    TierChangeDay,
    TierHoldDay,
)
from fanlens.audience.models import Follower
from fanlens.auth.models import ApiToken
from fanlens.connectors.models import Account, RetiredMetric, SyncRun, SyncState
from fanlens.content.models import (
    ContentEngagementTotals,
    ContentItem,
    ContentLinkDecision,
    ContentPost,
    ContentTag,
)
from fanlens.db.base import Base
from fanlens.interactions.models import FollowerInteraction, IngestReject, InteractionChange
from fanlens.outreach.models import (
    OutreachAddress,
    OutreachCampaign,
    OutreachEvent,
    OutreachOptOut,
    OutreachRecipient,
    OutreachSegment,
    OutreachSettings,
)
from fanlens.people.models import (
    IdentityProfile,
    Person,
    PersonIdentity,
    PersonMerge,
    PersonSuggestion,
)
from fanlens.scoring.models import (
    FollowerEngagementScore,
    FollowerInteractionCount,
    FollowerTierChange,
    ScoringConfig,
    ScoringRun,
)
from fanlens.sentiment.models import CommentSentiment, SentimentAlert
from fanlens.users.models import DashboardSession, LoginThrottle, User
from fanlens.workspaces.models import Workspace

__all__ = [
    "Account",
    "ApiToken",
    "Base",
    "CommentSentiment",
    "ContentEngagementTotals",
    "ContentItem",
    "ContentLinkDecision",
    "ContentPost",
    "ContentTag",
    "DashboardSession",
    "EngagementAlert",
    "Follower",
    "FollowerActivePeriod",
    "FollowerEngagementScore",
    "FollowerInteraction",
    "FollowerInteractionCount",
    "FollowerTierChange",
    "IdentityProfile",
    "IngestReject",
    "InteractionChange",
    "LoginThrottle",
    "OutreachAddress",
    "OutreachCampaign",
    "OutreachEvent",
    "OutreachOptOut",
    "OutreachRecipient",
    "OutreachSegment",
    "OutreachSettings",
    "Person",
    "PersonIdentity",
    "PersonMerge",
    "PersonSuggestion",
    "PostFirstDayEngagement",
    "RetentionCell",
    "RetiredMetric",
    "ScoringConfig",
    "ScoringRun",
    "SentimentAlert",
    "SyncRun",
    "SyncState",
    "TierChangeDay",
    "TierHoldDay",
    "User",
    "Workspace",
]
