"""Public replies and mentions on the platform, through the connector framework: the
campaign's connected account answers the person's latest comment there (YouTube comment reply,
Mastodon mention, Bluesky reply; Bluesky logs in to the account's PDS with its app password)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Engine

from fanlens.connectors.base import Connector, ConnectorError
from fanlens.kit.errors import FanlensError
from fanlens.kit.http import HttpOptions
from fanlens.outreach.channels import DeliveryError, Outgoing
from fanlens.outreach.models import OutreachCampaign


class ReplyChannel:
    def __init__(self, campaign: OutreachCampaign, engine: Engine | None = None) -> None:
        self.connector = _connector(campaign, engine)
        self.engine = engine
        self.counted = 0  # quota units already added to the account's daily count
        # A repeat is safe only where the platform recognises it (Mastodon, Bluesky);
        # elsewhere a reply interrupted by a crash is failed for review, never made twice.
        self.resend_uncertain = self.connector.idempotent_replies

    def send(self, message: Outgoing) -> dict[str, Any]:
        if not message.address:
            raise DeliveryError("no comment to reply to", permanent=True)
        try:
            made = self.connector.reply(
                parent_id=message.address, text=message.body, idempotency_key=message.recipient_id
            )
        except NotImplementedError as exc:
            raise DeliveryError(str(exc), permanent=True) from exc
        except ConnectorError as exc:
            raise DeliveryError(exc.message, permanent=exc.permanent) from exc
        finally:
            self._count_quota()
        return {"reply_id": made}

    def _count_quota(self) -> None:
        """A reply spends the platform's daily quota too (YouTube: 50 units)."""
        from fanlens.connectors import service
        from fanlens.db.engine import unit_of_work

        if not self.connector.daily_quota:
            return
        units, self.counted = (
            self.connector.http.quota_used - self.counted,
            self.connector.http.quota_used,
        )
        with unit_of_work(self.engine) as session:
            service.count_quota(session=session, connector=self.connector, units=units)


def _connector(campaign: OutreachCampaign, engine: Engine | None) -> Connector:
    from fanlens.connectors import service
    from fanlens.connectors.registry import CONNECTORS
    from fanlens.db.engine import unit_of_work

    try:
        account_id = uuid.UUID(str(campaign.options.get("account_id")))
        with unit_of_work(engine) as session:
            account = service.get_or_raise(session=session, account_id=account_id)
            if account.workspace_id != campaign.workspace_id:
                raise DeliveryError(
                    "the campaign's account is not in its workspace", permanent=True
                )
            config = service.config(account)
    except (ValueError, FanlensError) as exc:
        raise DeliveryError(f"account: {exc}", permanent=True) from exc
    return CONNECTORS[config.platform].from_account(config, HttpOptions())
