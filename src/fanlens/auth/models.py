from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, Index, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from fanlens.db.base import Base, WorkspaceScoped, uuid_pk
from fanlens.workspaces import models as _workspaces  # noqa: F401  (the FK target must be mapped)


class ApiToken(WorkspaceScoped, Base):
    """A bearer token of one workspace. Only the sha256 of the secret is kept."""

    __tablename__ = "api_tokens"
    __table_args__ = (
        CheckConstraint("scope IN ('read', 'write')", name="scope"),
        Index("ix_api_tokens_token_hash", "token_hash", unique=True),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(Text, nullable=False)
    scope: Mapped[str] = mapped_column(Text, nullable=False, server_default="read")
    token_hash: Mapped[str] = mapped_column(Text, nullable=False)
    # The first characters of the token, so a human can tell tokens apart in `token list`.
    token_prefix: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
