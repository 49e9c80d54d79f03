"""The demo's SQL: whether a workspace already holds data."""

from __future__ import annotations

import uuid

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from fanlens.connectors.models import Account
from fanlens.content.models import ContentItem


def has_content_or_accounts(session: Session, *, workspace_id: uuid.UUID) -> bool:
    has_content = session.scalar(select(exists().where(ContentItem.workspace_id == workspace_id)))
    has_accounts = session.scalar(select(exists().where(Account.workspace_id == workspace_id)))
    return bool(has_content or has_accounts)
