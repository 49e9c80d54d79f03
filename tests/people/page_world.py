"""A workspace of its own in the served site for the people pages' buttons: three fans named
Vik (two of them one person by their handle, waiting for review), a pair that merged by
itself from a profile link, and a writer and a reader who log in to it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from fanlens.interactions.ingest import ingest_records
from fanlens.people import service
from fanlens.users import service as users
from fanlens.workspaces import service as workspace_service
from tests.web.conftest import PASSWORD, Site

# (platform, external id, username, display name, bio)
FANS = [
    ("youtube", "yt-vik", "vik_k", "Vik", None),
    ("tiktok", "tt-vik", "vik_k", "Vik", None),
    ("bluesky", "bs-vik", "vik_other", "Vik", None),
    ("youtube", "yt-linky", "linky", "Lin", None),
    ("bluesky", "bs-linky", "linky.bsky.social", "Lin K", "me on youtube: youtube.com/@linky"),
    ("mastodon", "ma-sam", "sam", "Sam", None),
    ("instagram", "ig-sam", "sam", "Sam I", None),
]


@dataclass
class PeopleWorld:
    workspace_id: uuid.UUID
    writer: str
    reader: str
    follower: dict[str, uuid.UUID] = field(default_factory=dict)  # by external id

    def one(self, site: Site, sql: str, **params: Any) -> Any:
        with site.engine.connect() as conn:
            return conn.execute(text(sql), {"ws": self.workspace_id, **params}).one()

    def person_of(self, site: Site, external_id: str) -> uuid.UUID:
        row = self.one(
            site,
            "SELECT person_id FROM person_identities WHERE follower_id = :f",
            f=self.follower[external_id],
        )
        return uuid.UUID(str(row.person_id))

    def suggestion(self, site: Site, a: str, b: str) -> Any:
        ids = sorted([self.follower[a], self.follower[b]])
        return self.one(
            site,
            "SELECT id, status FROM person_suggestions WHERE workspace_id = :ws "
            "AND follower_a_id = :a AND follower_b_id = :b",
            a=ids[0],
            b=ids[1],
        )


def _records() -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for n, (platform, external_id, username, name, bio) in enumerate(FANS):
        post = f"post-{platform}"
        records.append(
            {"type": "post", "platform": platform, "external_post_id": post,
             "content": {"key": "launch", "title": "Launch"},
             "posted_at": "2026-11-01T12:00:00Z", "metrics": {"likes": 1}}
        )  # fmt: skip
        records.append(
            {"type": "follower", "platform": platform, "external_user_id": external_id,
             "username": username, "display_name": name, "bio": bio}
        )  # fmt: skip
        records.append(
            {"type": "interaction", "platform": platform, "interaction_type": "comment",
             "external_post_id": post, "occurred_at": f"2026-11-0{2 + n}T12:00:00Z",
             "user": {"external_user_id": external_id, "username": username}, "text": "hi"}
        )  # fmt: skip
    return records


def build(site: Site) -> PeopleWorld:
    tag = uuid.uuid4().hex[:8]
    with Session(site.engine) as session:
        ws = workspace_service.create(session=session, name=f"people-{tag}")
        ingest_records(session, workspace_id=ws.id, records=_records(), source="test")
        service.refresh_suggestions(session=session, workspace_id=ws.id)
        world = PeopleWorld(ws.id, writer=f"pat-{tag}", reader=f"rita-{tag}")
        for username, scope in ((world.writer, "write"), (world.reader, "read")):
            users.create(
                session=session,
                workspace_id=ws.id,
                username=username,
                password=PASSWORD,
                scope=scope,
            )
        rows = session.execute(
            text("SELECT external_user_id, id FROM followers WHERE workspace_id = :ws"),
            {"ws": ws.id},
        )
        world.follower.update({r.external_user_id: r.id for r in rows})
        session.commit()
    return world
