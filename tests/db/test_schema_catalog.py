"""The migrated schema is the one the models and the SQL files describe, object by object:
functions, triggers, views, columns, indexes, constraints and sequences, compared as PostgreSQL
prints them back."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.pool import NullPool

from fanlens.db import migrate, sql
from fanlens.models import Base

pytestmark = pytest.mark.conformance

PUBLIC = "'public'::regnamespace"
CATALOG = {
    "function": f"""SELECT p.oid::regprocedure::text, pg_get_functiondef(p.oid)
        FROM pg_proc p WHERE p.pronamespace = {PUBLIC}""",
    "trigger": f"""SELECT t.tgrelid::regclass::text || '.' || t.tgname, pg_get_triggerdef(t.oid)
        FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        WHERE c.relnamespace = {PUBLIC} AND NOT t.tgisinternal""",
    "view": f"""SELECT c.relname, pg_get_viewdef(c.oid)
        FROM pg_class c WHERE c.relnamespace = {PUBLIC} AND c.relkind = 'v'""",
    # Column order is not compared: the models do not declare it.
    "column": """SELECT table_name || '.' || column_name,
            concat_ws(' ', data_type, udt_name, is_nullable, column_default, is_identity)
        FROM information_schema.columns WHERE table_schema = 'public'""",
    "index": "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'",
    "constraint": f"""SELECT k.conrelid::regclass::text || '.' || k.conname,
            pg_get_constraintdef(k.oid)
        FROM pg_constraint k WHERE k.connamespace = {PUBLIC}""",
    "sequence": """SELECT sequencename, concat_ws(' ', data_type, start_value, increment_by)
        FROM pg_sequences WHERE schemaname = 'public'""",
}


def catalog(conn: Connection) -> dict[str, dict[str, str]]:
    return {
        kind: {
            name: body
            for name, body in conn.execute(text(query))
            if not name.startswith(("alembic_version", "procrastinate"))
        }
        for kind, query in CATALOG.items()
    }


def _catalog_of(url: str) -> dict[str, dict[str, str]]:
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        found = catalog(conn)
    engine.dispose()
    return found


def test_migrated_schema_equals_models_and_sql_files(
    fresh_database_url: str, empty_database_url: str
) -> None:
    engine = create_engine(empty_database_url, poolclass=NullPool)
    with engine.begin() as conn:
        Base.metadata.create_all(conn)
        sql.apply(conn)
    engine.dispose()

    migrated, built = _catalog_of(fresh_database_url), _catalog_of(empty_database_url)

    assert len(migrated["function"]) >= 40 and len(migrated["view"]) >= 7
    for kind in CATALOG:
        assert migrated[kind] == built[kind], kind


def test_sql_files_apply_again_unchanged(fresh_database_url: str) -> None:
    """Every statement is CREATE OR REPLACE: a later migration re-applies the files as they are."""
    before = _catalog_of(fresh_database_url)
    engine = create_engine(fresh_database_url, poolclass=NullPool)
    with engine.begin() as conn:
        sql.apply(conn)
    engine.dispose()
    assert _catalog_of(fresh_database_url) == before


def test_upgrade_downgrade_upgrade(empty_database_url: str, fresh_database_url: str) -> None:
    engine = create_engine(empty_database_url, poolclass=NullPool)
    migrate.upgrade(engine)
    migrate.downgrade(engine, "base")
    with engine.connect() as conn:
        assert all(not objects for objects in catalog(conn).values())
    migrate.upgrade(engine)
    engine.dispose()
    assert _catalog_of(empty_database_url) == _catalog_of(fresh_database_url)


def test_a_database_at_the_replaced_head_moves_to_the_baseline(fresh_database_url: str) -> None:
    """The migrations the baseline replaced ended at the same schema, with functions that
    fanlens.db.sql no longer defines, one of them still run by a trigger."""
    expected = _catalog_of(fresh_database_url)
    engine = create_engine(fresh_database_url, poolclass=NullPool)
    migrate.downgrade(engine, migrate.BASELINE)  # the schema those migrations ended at
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": "0023"})
        conn.execute(
            text(
                "CREATE FUNCTION fanlens_score_follower_list(p_follower_ids uuid[]) "
                "RETURNS void LANGUAGE sql AS 'SELECT'"
            )
        )
        conn.execute(
            text(
                "CREATE FUNCTION fanlens_daily_counts_inserted() RETURNS trigger "
                "LANGUAGE plpgsql AS 'BEGIN RETURN NULL; END'"
            )
        )
        conn.execute(
            text(
                "CREATE OR REPLACE TRIGGER trg_follower_interactions_daily_inserted "
                "AFTER INSERT ON follower_interactions REFERENCING NEW TABLE AS new_rows "
                "FOR EACH STATEMENT EXECUTE FUNCTION fanlens_daily_counts_inserted()"
            )
        )
        conn.execute(text("DROP VIEW person_engagement"))  # replaced when moved
    assert migrate.current_revision(engine) == migrate.REPLACED_HEAD

    migrate.upgrade(engine)

    assert migrate.current_revision(engine) == migrate.head_revision()
    engine.dispose()
    assert _catalog_of(fresh_database_url) == expected
