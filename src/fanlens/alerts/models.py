from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Date, DateTime, Numeric, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from fanlens.db.base import Base, WorkspaceScoped, uuid_id, workspace_key


class EngagementAlert(WorkspaceScoped, Base):
    """A week whose interactions on one platform fell well below the four weeks before it.

    One row per workspace, platform and week, so re-running the check changes nothing;
    notified_at stays empty until the webhook accepted the alert.
    """

    __tablename__ = "engagement_alerts"
    __table_args__ = (
        workspace_key("id"),
        UniqueConstraint("workspace_id", "platform", "week"),
    )

    id: Mapped[uuid.UUID] = uuid_id()
    platform: Mapped[str] = mapped_column(Text, nullable=False)
    week: Mapped[date] = mapped_column(Date, nullable=False)  # Monday of the week, UTC
    current_value: Mapped[int] = mapped_column(BigInteger, nullable=False)
    trailing_mean: Mapped[Decimal] = mapped_column(Numeric, nullable=False)
    drop_share: Mapped[Decimal] = mapped_column(Numeric, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    notified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
