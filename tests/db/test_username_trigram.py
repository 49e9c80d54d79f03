"""Username search reads a trigram index where the server has pg_trgm (the system PostgreSQL of
the conformance run), and stays as it was where it has not (the embedded server)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from fanlens.analytics import repository
from tests.fixtures.builders import create_workspace

pytestmark = pytest.mark.conformance

FOLLOWERS = """
INSERT INTO followers (workspace_id, platform, external_user_id, username)
SELECT :ws, 'tiktok', 'u' || n, 'fan_' || n || CASE WHEN n % 6007 = 0 THEN '_rare' ELSE '' END
FROM generate_series(1, 20000) n
"""


def _has_trgm(session: Session) -> bool:
    found = session.scalar(
        text("SELECT count(*) FROM pg_available_extensions WHERE name = 'pg_trgm'")
    )
    return bool(found)


def _plan(session: Session, ws: object) -> str:
    rows = session.execute(
        text("EXPLAIN " + str(repository._TIERS_OF_USERNAMES)),
        {"ws": ws, "q": "%rare%", "platform": None, "cap": 1000},
    ).scalars()
    return "\n".join(rows)


def test_the_index_exists_exactly_where_pg_trgm_does(session: Session) -> None:
    index = session.scalar(text("SELECT to_regclass('ix_followers_username_trgm')"))
    assert (index is not None) == _has_trgm(session)


def test_a_rare_search_reads_the_index_and_counts_the_same(session: Session) -> None:
    if not _has_trgm(session):
        pytest.skip("this server has no pg_trgm (the embedded one): search reads every follower")
    ws = create_workspace(session)
    session.execute(text(FOLLOWERS), {"ws": ws.id})
    # Rows inserted since the index was built wait in GIN's pending list until (auto)vacuum
    # merges them; merged, as on a database that has been running.
    session.execute(text("SELECT gin_clean_pending_list('ix_followers_username_trgm')"))
    session.execute(text("ANALYZE followers"))
    counted = repository.tier_counts_of_usernames(session, ws.id, "rare", platform=None, cap=1000)
    assert [tuple(r) for r in counted] == [("tiktok", "inactive", 3)]  # 6007, 12014, 18021
    assert "ix_followers_username_trgm" in _plan(session, ws.id)
    session.execute(text("SET LOCAL enable_bitmapscan = off"))  # the path without the index
    assert "ix_followers_username_trgm" not in _plan(session, ws.id)
    without = repository.tier_counts_of_usernames(session, ws.id, "rare", platform=None, cap=1000)
    assert [tuple(r) for r in without] == [tuple(r) for r in counted]
