"""The demo's SQL: whether a workspace already holds data, and whether that is only a demo that
stopped part-way."""

from __future__ import annotations

import uuid

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from fanlens.auth.models import ApiToken
from fanlens.connectors.models import Account
from fanlens.content.models import ContentItem
from fanlens.users.models import User

# What the demo writes into each account it connects, before it syncs anything.
DEMO_MARK = {"demo": True}


def has_content_or_accounts(session: Session, *, workspace_id: uuid.UUID) -> bool:
    has_content = session.scalar(select(exists().where(ContentItem.workspace_id == workspace_id)))
    has_accounts = session.scalar(select(exists().where(Account.workspace_id == workspace_id)))
    return bool(has_content or has_accounts)


def holds_only_an_unfinished_demo(session: Session, *, workspace_id: uuid.UUID) -> bool:
    """Accounts, every one of them the demo's, and no user or API token: the demo's last step
    (its login and token, in one transaction) never ran, and nobody has used the workspace."""
    accounts = select(Account.id).where(Account.workspace_id == workspace_id)
    has_demo_accounts = exists(accounts)
    has_other_accounts = exists(accounts.where(~Account.settings.contains(DEMO_MARK)))
    has_users = exists().where(User.workspace_id == workspace_id)
    has_tokens = exists().where(ApiToken.workspace_id == workspace_id)
    query = select(has_demo_accounts & ~has_other_accounts & ~has_users & ~has_tokens)
    return bool(session.scalar(query))
