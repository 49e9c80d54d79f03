from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.pool import NullPool

from fanlens.db import migrate, sql
from fanlens.models import Base

pytestmark = pytest.mark.conformance

TABLES = {
    "workspaces",
    "content_items",
    "content_posts",
    "content_tags",
    "followers",
    "follower_interactions",
    "follower_engagement_scores",
    "follower_interaction_counts",
}
VIEWS = {
    "content_platform_rollup",
    "content_cross_platform_summary",
    "top_engaged_followers",
    "follower_activity_timeline",
    "follower_cohorts",
}
FUNCTIONS = {"calculate_engagement_score", "determine_engagement_tier"}


def _functions(conn) -> set[str]:  # type: ignore[no-untyped-def]
    rows = conn.execute(
        text(
            "SELECT proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = 'public'"
        )
    )
    return {r[0] for r in rows}


def test_upgrade_from_empty_then_downgrade_to_empty(empty_database_url: str) -> None:
    engine = create_engine(empty_database_url, poolclass=NullPool)
    migrate.upgrade(engine)
    insp = inspect(engine)
    assert set(insp.get_table_names()) >= TABLES
    assert set(insp.get_view_names()) >= VIEWS
    with engine.connect() as conn:
        assert _functions(conn) >= FUNCTIONS
        assert conn.execute(text("SELECT name FROM workspaces")).scalars().all() == ["default"]
        for table in TABLES - {"workspaces"}:
            columns = {c["name"] for c in inspect(conn).get_columns(table)}
            assert "workspace_id" in columns, table

    migrate.downgrade(engine, "base")
    insp = inspect(engine)
    assert set(insp.get_table_names()) <= {"alembic_version"}
    assert set(insp.get_view_names()) == set()
    with engine.connect() as conn:
        assert not FUNCTIONS & _functions(conn)
    engine.dispose()


def test_models_match_migrations(fresh_database_url: str) -> None:
    """A model change without a migration (or the reverse) fails here, not in production."""
    engine = create_engine(fresh_database_url, poolclass=NullPool)
    with engine.connect() as conn:
        skip_sql_indexes = {"include_object": lambda _o, name, *_: name not in sql.INDEXES}
        ctx = MigrationContext.configure(conn, opts=skip_sql_indexes)
        diff = compare_metadata(ctx, Base.metadata)
    engine.dispose()
    assert diff == []


def test_primary_keys_are_uuids(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.table_name, c.column_name, c.data_type "
                "FROM information_schema.table_constraints t "
                "JOIN information_schema.key_column_usage k USING (constraint_name, table_name) "
                "JOIN information_schema.columns c "
                "  ON c.table_name = k.table_name AND c.column_name = k.column_name "
                "WHERE t.constraint_type = 'PRIMARY KEY' AND t.table_schema = 'public' "
                "  AND c.column_name NOT IN ('interaction_type')"
            )
        ).all()
    assert rows
    assert {r.data_type for r in rows if r.table_name != "alembic_version"} == {"uuid"}
