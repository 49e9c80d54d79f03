"""The keys of followers, people, person suggestions and outreach hold `workspace_id`: a
populated database keeps every row through the migration and back, the foreign keys keep their
ON DELETE, and a row can no longer point into another workspace."""

from __future__ import annotations

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from fanlens.db import migrate

REVISION = "people_outreach_keys"
TABLES = (
    "followers",
    "people",
    "person_identities",
    "person_suggestions",
    "person_merges",
    "identity_profiles",
    "follower_engagement_scores",
    "follower_interaction_counts",
    "follower_tier_changes",
    "outreach_segments",
    "outreach_campaigns",
    "outreach_recipients",
    "outreach_events",
    "outreach_opt_outs",
    "outreach_addresses",
)

# A workspace with two followers (each with a person, by trigger), the second merged into the
# first on a suggestion, and a campaign with one recipient: a row in each table above.
WORLD = """
WITH ws AS (INSERT INTO workspaces (name) VALUES (:name) RETURNING id),
f AS (INSERT INTO followers (workspace_id, platform, external_user_id)
      SELECT id, 'bluesky', x FROM ws, unnest(ARRAY['a', 'b']) x RETURNING id, workspace_id)
SELECT workspace_id, min(id::text)::uuid, max(id::text)::uuid FROM f GROUP BY workspace_id
"""

ROWS = """
WITH s AS (INSERT INTO person_suggestions
               (workspace_id, follower_a_id, follower_b_id, kind, confidence, evidence)
           VALUES (:ws, :a, :b, 'same_handle', 0.9, '[]') RETURNING id),
m AS (INSERT INTO person_merges (workspace_id, target_person_id, source_person_id, follower_ids,
                                 method, merged_by, suggestion_id)
      SELECT :ws, :a, :b, ARRAY[CAST(:b AS uuid)], 'manual', 'test', id FROM s),
p AS (UPDATE people SET merged_into_id = :a WHERE id = :b),
fs AS (INSERT INTO follower_engagement_scores (workspace_id, follower_id) VALUES (:ws, :a)),
fc AS (INSERT INTO follower_interaction_counts (workspace_id, follower_id, interaction_type)
       VALUES (:ws, :a, 'like')),
tc AS (INSERT INTO follower_tier_changes (workspace_id, follower_id, to_tier, score,
                                          config_version)
       VALUES (:ws, :a, 'lurker', 1, 1)),
ip AS (INSERT INTO identity_profiles (workspace_id, follower_id) VALUES (:ws, :a)),
seg AS (INSERT INTO outreach_segments (workspace_id, name, filters)
        VALUES (:ws, 'all', '{}') RETURNING id),
c AS (INSERT INTO outreach_campaigns (workspace_id, name, segment_id, channel, template)
      SELECT :ws, 'hello', id, 'csv', 'hi' FROM seg RETURNING id),
r AS (INSERT INTO outreach_recipients (workspace_id, campaign_id, person_id, follower_id,
                                       channel, status)
      SELECT :ws, id, :a, :a, 'csv', 'queued' FROM c RETURNING id, campaign_id),
e AS (INSERT INTO outreach_events (workspace_id, campaign_id, recipient_id, event)
      SELECT :ws, campaign_id, id, 'queued' FROM r),
o AS (INSERT INTO outreach_opt_outs (workspace_id, person_id, channel, created_by)
      VALUES (:ws, :a, 'email', 'test'))
INSERT INTO outreach_addresses (workspace_id, person_id, email) VALUES (:ws, :a, 'a@example.org')
"""


def _populate(conn: Connection, name: str) -> tuple[str, str, str]:
    ws, a, b = conn.execute(text(WORLD), {"name": name}).one()
    conn.execute(text(ROWS), {"ws": ws, "a": a, "b": b})
    return ws, a, b


def _counts(conn: Connection) -> dict[str, int]:
    return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}


def _keys(conn: Connection) -> list[str]:
    query = (
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conname IN ('pk_followers', 'fk_person_identities_person_id_people')"
        " ORDER BY conname"
    )
    return list(conn.execute(text(query)).scalars())


def test_populated_database_upgrades_and_downgrades(empty_database_url: str) -> None:
    engine = create_engine(empty_database_url, poolclass=NullPool)
    parent = ScriptDirectory.from_config(migrate.alembic_config()).get_revision(REVISION)
    migrate.upgrade(engine, str(parent.down_revision))
    with engine.begin() as conn:
        for name in ("one", "two"):
            _populate(conn, name)
        before = _counts(conn)
    assert min(before.values()) == 2  # a row of each workspace in each table

    migrate.upgrade(engine, REVISION)
    with engine.connect() as conn:
        assert _counts(conn) == before
        assert _keys(conn) == [
            "FOREIGN KEY (person_id, workspace_id) REFERENCES people(id, workspace_id)"
            " ON DELETE CASCADE",
            "PRIMARY KEY (id, workspace_id)",
        ]

    migrate.downgrade(engine, str(parent.down_revision))
    with engine.connect() as conn:
        assert _counts(conn) == before
        assert _keys(conn) == [
            "FOREIGN KEY (person_id) REFERENCES people(id) ON DELETE CASCADE",
            "PRIMARY KEY (id)",
        ]
    migrate.upgrade(engine)
    engine.dispose()


def test_deletes_keep_their_effect(session: Session) -> None:
    conn = session.connection()
    ws, a, b = _populate(conn, "one")
    conn.execute(text("DELETE FROM followers WHERE id = :a"), {"a": a})
    # The recipient stays, without its identity; the merge stays, without its suggestion.
    recipient = "SELECT follower_id, workspace_id FROM outreach_recipients"
    assert tuple(conn.execute(text(recipient)).one()) == (None, ws)
    merge = "SELECT suggestion_id, workspace_id FROM person_merges"
    assert tuple(conn.execute(text(merge)).one()) == (None, ws)
    gone = ("follower_engagement_scores", "identity_profiles", "person_suggestions")
    assert [_count(conn, t) for t in gone] == [0, 0, 0]

    conn.execute(text("DELETE FROM people WHERE id = :a"), {"a": a})
    person = "SELECT merged_into_id, workspace_id FROM people WHERE id = :b"
    assert tuple(conn.execute(text(person), {"b": b}).one()) == (None, ws)
    gone = ("outreach_recipients", "outreach_events", "outreach_opt_outs", "person_merges")
    assert [_count(conn, t) for t in gone] == [0, 0, 0, 0]
    refused = _refused(session, "DELETE FROM outreach_segments", {})
    assert "fk_outreach_campaigns_segment_id" in refused


def test_a_row_cannot_point_into_another_workspace(session: Session) -> None:
    conn = session.connection()
    _, a, _ = _populate(conn, "one")
    other, _, b = _populate(conn, "two")
    opt_out = (
        "INSERT INTO outreach_opt_outs (workspace_id, person_id, channel, created_by)"
        " VALUES (:ws, :a, '*', 'test')"
    )
    refused = _refused(session, opt_out, {"ws": other, "a": a})
    assert "fk_outreach_opt_outs_person_id_people" in refused
    merge = "UPDATE people SET merged_into_id = :a WHERE id = :b"
    assert "fk_people_merged_into_id_people" in _refused(session, merge, {"a": a, "b": b})


def _refused(session: Session, statement: str, params: dict[str, object]) -> str:
    with pytest.raises(IntegrityError) as caught, session.begin_nested():
        session.execute(text(statement), params)
    return str(caught.value)


def _count(conn: Connection, table: str) -> int:
    return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
