"""Which connector serves which platform."""

from __future__ import annotations

from fanlens.connectors.base import Connector
from fanlens.connectors.bluesky import BlueskyConnector
from fanlens.connectors.instagram import InstagramConnector
from fanlens.connectors.mastodon import MastodonConnector
from fanlens.connectors.tiktok import TikTokConnector
from fanlens.connectors.youtube import YouTubeConnector

CONNECTORS: dict[str, type[Connector]] = {
    "youtube": YouTubeConnector,
    "bluesky": BlueskyConnector,
    "mastodon": MastodonConnector,
    "instagram": InstagramConnector,
    "tiktok": TikTokConnector,
}
