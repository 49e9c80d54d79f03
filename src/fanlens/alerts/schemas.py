from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict


class EngagementAlertOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    workspace_id: uuid.UUID
    platform: str
    week: date
    current_value: int
    trailing_mean: Decimal
    drop_share: Decimal
    created_at: datetime
    notified_at: datetime | None


class WeeklyEngagement(BaseModel):
    platform: str
    current_value: int
    trailing_mean: Decimal


class DropCheckSummary(BaseModel):
    week: date
    workspaces: int = 0
    alerts: int = 0
    notified: int = 0
