"""The database's functions, triggers and views, one file per object group.

Each file holds the current definition of its objects as `CREATE OR REPLACE` statements, so
applying them again is harmless: a migration that changes a function edits its file and calls
`apply` again. The order matters only where a view or a LANGUAGE sql function reads another
object when it is created.
"""

from __future__ import annotations

import re
from importlib import resources

from sqlalchemy import Connection

GROUPS = (
    "housekeeping",  # updated_at stamps, cascades from followers and content to the log, upserts
    "scoring",  # weights, tiers, per-type counts, scores and tier history
    "counts",  # content totals and interactions per content and day
    "post_totals",  # posts and their reported metrics per platform
    "rollups",  # followers per tier and interactions per platform and day
    "insights",  # posts' first-day engagement, tier changes and spans per day
    "retention",  # active periods and retention cells
    "upkeep",  # what a bulk import defers: the backlog and its catch-up
    "people",  # one person per follower to start with, people's engagement
    "sentiment",  # comment sentiments follow their interaction
    "search",  # a trigram index for username search, where the server has pg_trgm
    "views",  # the reporting views
)


# Groups whose triggers write tables or columns of their own: migrations older than those apply
# the files too, and a statement trigger fires even on a statement that touches no row, so such a
# group is applied only once they exist (the migration that adds them applies it). Until then a
# database keeps the group's earlier definitions, which match its older tables; a data migration
# in between (deleting duplicates, say) fires those.
REQUIRES = {
    "post_totals": ("platform_post_totals",),
    "insights": ("post_first_day_engagement", "tier_change_days", "tier_hold_days"),
    "retention": ("retention_cells.last_active",),
}


# Indexes the files create where the server allows (not in the models): a schema diff skips them.
INDEXES = frozenset({"ix_followers_username_trgm"})


def read(group: str) -> str:
    return (resources.files(__name__) / f"{group}.sql").read_text(encoding="utf-8")


def run(connection: Connection, script: str) -> None:
    """Run SQL statements as written: `%` (format()) and `:` (casts) are not placeholders."""
    connection.exec_driver_sql(script, execution_options={"no_parameters": True})


def apply(connection: Connection) -> None:
    """Create or replace every function, trigger and view, in the order of GROUPS.

    The bodies of LANGUAGE sql functions are not checked while they are created: an earlier
    migration applies today's files to a schema that lacks the columns later migrations add
    (each of those applies them again)."""
    run(connection, "SET check_function_bodies = off")
    for group in GROUPS:
        if all(_exists(connection, table) for table in REQUIRES.get(group, ())):
            run(connection, read(group))
    run(connection, "RESET check_function_bodies")


def _exists(connection: Connection, name: str) -> bool:
    """Whether a table (`table`) or a column (`table.column`) exists."""
    table, _, column = name.partition(".")
    found = connection.exec_driver_sql(
        "SELECT to_regclass(%(t)s) IS NOT NULL AND (%(c)s = '' OR EXISTS ("
        " SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(%(t)s)"
        " AND attname = %(c)s AND NOT attisdropped))",
        {"t": table, "c": column},
    ).scalar()
    return bool(found)


def drop(connection: Connection) -> None:
    """Drop every view and function the files create; a function's triggers go with it."""
    text = "\n".join(read(group) for group in GROUPS)
    for name in reversed(re.findall(r"CREATE OR REPLACE VIEW (\w+)", text)):
        connection.exec_driver_sql(f"DROP VIEW IF EXISTS {name} CASCADE")
    names = sorted(set(re.findall(r"CREATE OR REPLACE FUNCTION (\w+)", text)))
    signatures = connection.exec_driver_sql(
        "SELECT p.oid::regprocedure::text FROM pg_proc p "
        "WHERE p.pronamespace = 'public'::regnamespace AND p.proname = ANY (%(names)s)",
        {"names": names},
    ).scalars()
    for signature in list(signatures):
        connection.exec_driver_sql(f"DROP FUNCTION IF EXISTS {signature} CASCADE")
