"""Which accounts the scheduled sync picks: active ones, less those kept off the schedule (the
demo's, whose simulators stop once the demo is made)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from fanlens.connectors import repository, service
from fanlens.connectors.scheduling import on_schedule
from tests.fixtures.builders import create_workspace


def test_the_schedule_skips_accounts_kept_off_it_and_inactive_ones(session: Session) -> None:
    ws = create_workspace(session)
    kept = service.add(session=session, workspace_id=ws.id, platform="bluesky", handle="a.bsky")
    off = service.add_mastodon(
        session=session, workspace_id=ws.id, instance="https://mastodon.example", username="b"
    )
    off.settings = {**off.settings, "scheduled": False}
    gone = service.add(session=session, workspace_id=ws.id, platform="youtube", handle="UCx")
    gone.status = "gone"
    session.flush()
    session.expire_all()  # read back what the database holds
    picked = [a.id for a in repository.list_accounts(session, workspace_id=ws.id) if on_schedule(a)]
    assert picked == [kept.id]
