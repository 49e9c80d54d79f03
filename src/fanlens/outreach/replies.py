"""Public replies and mentions on the platform, through the connector framework."""

from __future__ import annotations

from typing import Any

from fanlens.outreach.channels import DeliveryError, Outgoing
from fanlens.outreach.models import OutreachCampaign


class ReplyChannel:
    # No idempotency upstream: a reply interrupted by a crash is never made again.
    resend_uncertain = False

    def __init__(self, campaign: OutreachCampaign) -> None:
        self.campaign = campaign

    def send(self, message: Outgoing) -> dict[str, Any]:
        raise DeliveryError(f"{self.campaign.channel} is not available yet", permanent=True)
