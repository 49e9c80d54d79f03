"""Ingest rejects: lines that could not be stored, kept with their source, line and reason.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 09:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ingest_rejects",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("line_number", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("raw_hash", sa.UUID(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_ingest_rejects_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_rejects")),
        sa.UniqueConstraint(
            "workspace_id",
            "source",
            "line_number",
            "raw_hash",
            name=op.f("uq_ingest_rejects_workspace_id_source_line_number_raw_hash"),
        ),
    )
    op.create_index(
        "ix_ingest_rejects_workspace_id_created_at",
        "ingest_rejects",
        ["workspace_id", "created_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_ingest_rejects_workspace_id_created_at", table_name="ingest_rejects")
    op.drop_table("ingest_rejects")
