"""A catch-up chunk that PostgreSQL aborts in a deadlock with another writer (a content relink
locks followers in its own order) runs again, so `fanlens import` does not fail on it."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from fanlens.demo.generate import generate_world
from fanlens.interactions import ingest, upkeep, upkeep_repository
from fanlens.interactions.ingest import import_stream
from tests.fixtures.builders import create_workspace


def test_a_chunk_aborted_in_a_deadlock_runs_again(
    fresh_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest, "BULK_INTERACTIONS", 100)
    engine = create_engine(fresh_database_url, poolclass=NullPool)

    @contextmanager
    def scope() -> Iterator[Session]:
        with Session(engine, expire_on_commit=False) as session, session.begin():
            yield session

    with scope() as session:
        ws_id = create_workspace(session).id
    lines = list(generate_world("tiny", seed=5).jsonl_lines())
    import_stream(
        io.BytesIO(("\n".join(lines) + "\n").encode("utf-8")),
        workspace_id=ws_id, source="world.jsonl", session_scope=scope, batch_size=300, bulk=True,
    )  # fmt: skip
    with scope() as session:
        waiting = upkeep_repository.waiting(session, workspace_id=ws_id)
        first, last = session.execute(
            text("""SELECT (array_agg(f.id ORDER BY f.platform, f.external_user_id))[1],
                           (array_agg(f.id ORDER BY f.platform, f.external_user_id DESC))[1]
                    FROM upkeep_backlog b JOIN followers f ON f.id = b.follower_id
                    WHERE b.workspace_id = :ws"""),
            {"ws": ws_id},
        ).one()
    assert waiting > 0

    # The other writer holds the chunk's last follower and, as soon as the catch-up holds the
    # first and waits for the last, asks for the first. The catch-up waited first, so its
    # deadlock check (deadlock_timeout after its wait began) finds the cycle: it is aborted.
    other = engine.connect()
    other.begin()
    other.execute(text("SELECT 1 FROM followers WHERE id = :id FOR UPDATE"), {"id": last})
    attempts: list[int] = []

    def counted() -> AbstractContextManager[Session]:
        attempts.append(1)
        return scope()

    result: list[int] = []
    runner = threading.Thread(
        target=lambda: result.append(upkeep.catch_up(ws_id, session_scope=counted, chunk=10_000))
    )
    runner.start()
    _wait_until_blocked(engine)
    # Granted once the catch-up's chunk is rolled back.
    other.execute(text("SELECT 1 FROM followers WHERE id = :id FOR UPDATE"), {"id": first})
    other.rollback()
    other.close()
    runner.join(timeout=120)
    assert not runner.is_alive()
    assert result == [waiting]
    assert len(attempts) >= 2  # the chunk ran, was aborted or waited, and ran to its end
    with scope() as session:
        assert upkeep_repository.waiting(session, workspace_id=ws_id) == 0
    engine.dispose()


def _wait_until_blocked(engine: Engine) -> None:
    """Until a backend waits for a lock (the catch-up, behind the held follower); each look is
    a transaction of its own, as pg_stat_activity keeps one snapshot per transaction."""
    for _ in range(6_000):
        with engine.connect() as conn:
            blocked = conn.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                     "AND datname = current_database()")
            ).scalar_one()  # fmt: skip
        if blocked:
            return
        threading.Event().wait(0.01)
    raise AssertionError("the catch-up never waited for the held follower")
