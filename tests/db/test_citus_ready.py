"""Every table can be distributed by `workspace_id` on Citus, or is a small reference table.

Citus places the rows of one workspace on one node when a table is distributed by
`workspace_id`. It can then enforce a primary key, a unique constraint or a foreign key only when
the key holds `workspace_id`, so that the rows it compares are on one node; a foreign key from a
distributed table may also point at a reference table (copied to every node), and a reference
table may point only at other reference tables. This test reads the rules off the migrated
catalog, so a new table or constraint that breaks them fails here (docs/scale-out.md).

No Citus runs on this machine: the catalog is checked, the distribution itself is not run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.pool import NullPool

pytestmark = pytest.mark.conformance

# Tables every node needs whole, small and written rarely. Sign-in finds a user, a session or an
# API token by a global key (username, key hash, token hash) before any workspace is known, and
# the login throttle counts attempts per username; workspaces is the parent of every key.
REFERENCE = frozenset(
    {"workspaces", "users", "dashboard_sessions", "login_throttles", "api_tokens"}
)

# Not fanlens's data: Alembic's revision row, and procrastinate's queue, which stays on the
# coordinator (it holds no workspace rows and no key points at it).
OWN_TABLES = "(c.relname = 'alembic_version' OR c.relname LIKE 'procrastinate%')"

# What does not conform yet, each break exactly: none. A new break fails the test; one listed
# here would have to be struck off when fixed.
NOT_YET: frozenset[str] = frozenset()

TABLES = f"""
SELECT c.oid::regclass::text AS name, EXISTS (
    SELECT 1 FROM pg_attribute a
    WHERE a.attrelid = c.oid AND a.attname = 'workspace_id' AND NOT a.attisdropped
) AS has_workspace
FROM pg_class c
WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND NOT {OWN_TABLES}
"""

# Primary keys, unique constraints and exclusion constraints, and unique indexes that back no
# constraint: each with the names of its columns (an expression counts as no column).
UNIQUE_KEYS = """
SELECT i.indrelid::regclass::text, coalesce(k.conname, i.indexrelid::regclass::text),
    ARRAY(SELECT a.attname::text FROM pg_attribute a
          WHERE a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey))
FROM pg_index i
JOIN pg_class c ON c.oid = i.indrelid
LEFT JOIN pg_constraint k ON k.conindid = i.indexrelid AND k.contype IN ('p', 'u', 'x')
WHERE c.relnamespace = 'public'::regnamespace AND (i.indisunique OR k.contype = 'x')
"""

# Foreign keys, each with its column pairs (referencing column, referenced column).
FOREIGN_KEYS = """
SELECT k.conrelid::regclass::text, k.conname, k.confrelid::regclass::text,
    ARRAY(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY u(n, i)
          JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n ORDER BY u.i),
    ARRAY(SELECT a.attname::text FROM unnest(k.confkey) WITH ORDINALITY u(n, i)
          JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n ORDER BY u.i)
FROM pg_constraint k
WHERE k.connamespace = 'public'::regnamespace AND k.contype = 'f'
"""


def breaks(conn: Connection) -> set[str]:
    """Each place the catalog breaks the rules, as `table.constraint` or `table: reason`."""
    tables: dict[str, bool] = {name: has for name, has in conn.execute(text(TABLES))}
    distributed = {name for name, has_workspace in tables.items() if has_workspace}
    distributed -= REFERENCE
    found = {f"{name}: no workspace_id" for name in tables.keys() - distributed - REFERENCE}
    found |= {f"{name}: no primary key" for name in distributed - _with_primary_key(conn)}
    for table, key, columns in conn.execute(text(UNIQUE_KEYS)):
        if table in distributed and "workspace_id" not in columns:
            found.add(f"{table}.{key}")
    for table, key, target, columns, targets in conn.execute(text(FOREIGN_KEYS)):
        if table in tables and not _foreign_key_fits(table, target, columns, targets, distributed):
            found.add(f"{table}.{key}")
    return found


def _with_primary_key(conn: Connection) -> set[str]:
    query = "SELECT conrelid::regclass::text FROM pg_constraint WHERE contype = 'p'"
    return set(conn.execute(text(query)).scalars())


def _foreign_key_fits(
    table: str, target: str, columns: list[str], targets: list[str], distributed: set[str]
) -> bool:
    if target in REFERENCE:
        return True  # every node holds the referenced rows
    if table not in distributed or target not in distributed:
        return False  # a reference table or a table of no workspace points into a workspace
    return ("workspace_id", "workspace_id") in zip(columns, targets, strict=True)


@contextmanager
def _connect(url: str) -> Iterator[Connection]:
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        yield conn
    engine.dispose()


def test_every_table_is_distributed_by_workspace_or_a_reference_table(
    fresh_database_url: str,
) -> None:
    with _connect(fresh_database_url) as conn:
        tables = set(conn.execute(text(TABLES)).scalars())
        assert tables >= REFERENCE and "followers" in tables
        assert breaks(conn) == NOT_YET


def test_a_table_that_breaks_the_rules_is_found(fresh_database_url: str) -> None:
    with _connect(fresh_database_url) as conn:
        before = breaks(conn)
        conn.execute(
            text("""
            CREATE TABLE fan_lists (id uuid PRIMARY KEY, workspace_id uuid NOT NULL);
            CREATE TABLE fan_notes (
                id uuid,
                workspace_id uuid NOT NULL REFERENCES workspaces (id),
                list_id uuid REFERENCES fan_lists (id),
                note text UNIQUE,
                PRIMARY KEY (workspace_id, id)
            );
            CREATE UNIQUE INDEX fan_notes_by_list ON fan_notes (list_id) WHERE note > '';
            CREATE TABLE loose_notes (id uuid PRIMARY KEY, note text);
            ALTER TABLE users ADD COLUMN list_id uuid REFERENCES fan_lists (id);
            """)
        )
        assert breaks(conn) - before == {
            "fan_lists.fan_lists_pkey",
            "fan_notes.fan_notes_note_key",
            "fan_notes.fan_notes_by_list",
            "fan_notes.fan_notes_list_id_fkey",
            "loose_notes: no workspace_id",
            "users.users_list_id_fkey",
        }
        conn.rollback()
