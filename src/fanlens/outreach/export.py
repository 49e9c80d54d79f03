"""The CSV export: one row per recipient, for messages sent by hand."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from fanlens.outreach import repository, service

FIELDS = ["person_id", "name", "address", "subject", "message", "status", "reason", "sent_at"]


def rows(*, session: Session, workspace_id: uuid.UUID, ref: str) -> list[dict[str, Any]]:
    campaign = service.get_campaign(session=session, workspace_id=workspace_id, ref=ref)
    recipients = repository.recipients(session, campaign_id=campaign.id)
    names = _names(session, workspace_id, [r.person_id for r in recipients])
    return [
        {
            "person_id": str(r.person_id),
            "name": names.get(r.person_id, ""),
            "address": r.address or "",
            "subject": r.subject or "",
            "message": r.body or "",
            "status": r.status,
            "reason": r.reason or "",
            "sent_at": r.sent_at.isoformat() if r.sent_at else "",
        }
        for r in recipients
    ]


def _names(session: Session, workspace_id: uuid.UUID, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    found: dict[uuid.UUID, str] = {}
    for row in repository.identities(session, workspace_id=workspace_id, person_ids=ids):
        if row.person_id not in found and (row.person_name or row.display_name or row.username):
            found[row.person_id] = row.person_name or row.display_name or row.username
    return found
