"""Declarative base with a constraint naming convention, and the columns every table shares."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    MetaData,
    PrimaryKeyConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(
        UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")
    )


def uuid_id() -> Mapped[uuid.UUID]:
    """A row's id, the key together with `workspace_id` (workspace_key)."""
    return mapped_column(UUID(as_uuid=True), server_default=text("gen_random_uuid()"))


def workspace_key(*columns: str) -> PrimaryKeyConstraint:
    """A workspace table's primary key: its own columns, then `workspace_id`, so that Citus can
    enforce it on the node holding the workspace (docs/scale-out.md). The own columns lead, so
    a lookup by them alone keeps its index."""
    return PrimaryKeyConstraint(*columns, "workspace_id")


def workspace_reference(column: str, parent: str, *, ondelete: str) -> ForeignKeyConstraint:
    """A foreign key to a workspace table: (column, workspace_id) to the parent's
    (id, workspace_id), so that both rows are in one workspace and Citus can enforce it on one
    node (docs/scale-out.md). SET NULL empties the column alone: workspace_id is the row's own."""
    if ondelete == "SET NULL":
        ondelete = f"SET NULL ({column})"
    return ForeignKeyConstraint(
        [column, "workspace_id"], [f"{parent}.id", f"{parent}.workspace_id"], ondelete=ondelete
    )


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )


class WorkspaceScoped:
    """Every row belongs to a workspace; deleting the workspace deletes its rows."""

    @declared_attr
    def workspace_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(
            UUID(as_uuid=True),
            ForeignKey("workspaces.id", ondelete="CASCADE"),
            nullable=False,
        )

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        """The ORM knows a row by its own key: `session.get(Model, id)` stays as it was when
        the table's primary key also holds `workspace_id` (workspace_key)."""
        table = cls.__table__  # type: ignore[attr-defined]
        own = [c for c in table.primary_key.columns if c.name != "workspace_id"]
        return {"primary_key": own}
