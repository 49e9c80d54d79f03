"""Primary keys and unique constraints of the tables no foreign key points at hold
`workspace_id`, after the row's own key, so that Citus can enforce them on the node holding the
workspace (docs/scale-out.md). The upserts on those keys name the primary key constraint, which
holds before and after this revision (fanlens.db.sql applied again), so a downgrade restores the
keys alone.

Created 2026-12-06.
"""

from alembic import op

from fanlens.db import sql

revision = "workspace_keys"
down_revision = "observed_index"

# Each table's primary key before this revision; `workspace_id` now follows it.
KEYS = {
    "comment_sentiments": "interaction_id",
    "content_engagement_totals": "content_id",
    "content_link_decisions": "id",
    "content_tags": "id",
    "engagement_alerts": "id",
    "follower_active_periods": "id",
    "follower_engagement_scores": "follower_id",
    "follower_interaction_counts": "follower_id, interaction_type",
    "follower_interactions": "id",
    "follower_tier_changes": "id",
    "follower_tier_counts": "id",
    "identity_profiles": "follower_id",
    "ingest_rejects": "id",
    "interaction_changes": "id",
    "interaction_daily_counts": "id",
    "interaction_platform_days": "id",
    "outreach_addresses": "id",
    "outreach_events": "id",
    "outreach_opt_outs": "id",
    "outreach_settings": "id",
    "person_identities": "follower_id",
    "person_merges": "id",
    "retention_cells": "id",
    "scoring_configs": "id",
    "scoring_runs": "id",
    "sentiment_alerts": "id",
}

# Each unique constraint's table and columns before this revision; with `workspace_id` it is
# named `uq_<table>_key` (the columns make too long a name).
UNIQUES = {
    "content_tags": "content_id, tag_type, tag_value",
    "follower_active_periods": "follower_id, grain, period",
}


def _key(table: str, columns: str) -> None:
    op.execute(
        f"ALTER TABLE {table} DROP CONSTRAINT pk_{table},"
        f" ADD CONSTRAINT pk_{table} PRIMARY KEY ({columns})"
    )


def _unique(table: str, old: str, new: str, columns: str) -> None:
    op.execute(
        f"ALTER TABLE {table} DROP CONSTRAINT {old}, ADD CONSTRAINT {new} UNIQUE ({columns})"
    )


def _columns_name(table: str, columns: str) -> str:
    return f"uq_{table}_" + "_".join(c.strip() for c in columns.split(","))


def upgrade() -> None:
    for table, columns in KEYS.items():
        _key(table, f"{columns}, workspace_id")
    for table, columns in UNIQUES.items():
        _unique(table, _columns_name(table, columns), f"uq_{table}_key", f"{columns}, workspace_id")
    sql.apply(op.get_bind())


def downgrade() -> None:
    for table, columns in KEYS.items():
        _key(table, columns)
    for table, columns in UNIQUES.items():
        _unique(table, f"uq_{table}_key", _columns_name(table, columns), columns)
