"""The data fix that leaves one row per Mastodon status: derived rows end as a clean store's."""

from __future__ import annotations

from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from fanlens.db import migrate
from fanlens.interactions.ingest import ingest_records
from fanlens.sentiment.analysers import VaderAnalyser
from fanlens.sentiment.service import analyse_batch
from tests.fixtures.builders import create_workspace
from tests.helpers import row_set
from tests.interactions.test_changes import DERIVED

REVISION = "mastodon_one_row_per_status"


def _record(handle: str, kind: str, status: str, at: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "interaction",
        "platform": "mastodon",
        "interaction_type": kind,
        "user": {"external_user_id": handle, "username": handle},
        "external_id": status,
        "occurred_at": at,
        **extra,
    }


def _statuses() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(what one row per status stores, the mentions a sync also stored of thread statuses)."""
    post = {"type": "post", "platform": "mastodon", "external_post_id": "900",
            "posted_at": "2026-10-01T10:00:00Z", "content": {"key": "p", "title": "p"}}  # fmt: skip
    comments = [
        _record("amy", "comment", f"91{day}", f"2026-10-0{day}T12:00:00Z",
                external_post_id="900", text="I love this, wonderful")
        for day in range(1, 8)
    ]  # fmt: skip
    reply = _record("bo", "reply", "920", "2026-11-02T09:00:00Z", external_post_id="900",
                    parent_external_id="911", text="no, this is terrible")  # fmt: skip
    elsewhere = _record("bo", "mention", "930", "2026-10-05T09:00:00Z", text="look at this")
    # A follower who never acted keeps the inactive tier's row above zero: the rollup's
    # insert path leaves a tier emptied to 0 in place where its delete path drops the row.
    lurker = {"type": "follower", "platform": "mastodon", "external_user_id": "cy"}
    kept = [post, lurker, *comments, reply, elsewhere]
    copies = [
        # the notification's time: a moment after the status's own
        {**_record(r["user"]["external_user_id"], "mention", r["external_id"],
                   r["occurred_at"].replace(":00Z", ":01Z")), "text": r["text"]}
        for r in [*comments, reply]
    ]  # fmt: skip
    return kept, copies


def _store(session: Session, records: list[dict[str, Any]]) -> Any:
    ws = create_workspace(session)
    ingest_records(session, workspace_id=ws.id, records=records, source="test")
    analyse_batch(session=session, workspace_id=ws.id, analyser=VaderAnalyser())
    return ws.id


def _derived(engine: Any, ws: Any, names: tuple[str, ...] = tuple(DERIVED)) -> dict[str, Any]:
    """The derived rows named (at an older revision, only those whose columns it has)."""
    with Session(engine) as session:
        return {name: row_set(session, DERIVED[name], ws) for name in names}


def test_the_mention_copy_of_a_thread_status_goes_and_derived_rows_match_a_clean_store(
    empty_database_url: str,
) -> None:
    engine = create_engine(empty_database_url, poolclass=NullPool)
    parent = ScriptDirectory.from_config(migrate.alembic_config()).get_revision(REVISION)
    migrate.upgrade(engine, str(parent.down_revision))
    kept, copies = _statuses()
    with Session(engine) as session:
        doubled = _store(session, [*kept, *copies])
        clean = _store(session, kept)
        session.commit()
    assert _derived(engine, doubled, ("scores",)) != _derived(engine, clean, ("scores",))

    migrate.upgrade(engine)

    assert _derived(engine, doubled) == _derived(engine, clean)
    with engine.connect() as conn:
        mentions = conn.execute(
            text("SELECT external_id FROM follower_interactions WHERE interaction_type = 'mention'")
        ).scalars()
        assert sorted(mentions) == ["930", "930"]  # outside any thread: a mention in both
    engine.dispose()
