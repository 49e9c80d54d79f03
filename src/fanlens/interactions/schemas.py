from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel


class ActivityItem(BaseModel):
    id: uuid.UUID
    follower_id: uuid.UUID
    username: str | None
    platform: str
    interaction_type: str
    interaction_value: str | None
    content_id: uuid.UUID | None
    content_title: str | None
    post_url: str | None
    occurred_at: datetime
    time_precision: str
