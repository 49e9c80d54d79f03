"""A small world with known answers, committed to a database of its own, and clients over it.

Workspace "amy-studio" (A) holds three content items and four followers; workspace "other" (B)
holds one of each. Every number the endpoint tests assert follows from the table below.

content (A)          platform   views likes comments shares saves  engagement  first posted
Latte art basics     youtube     2000   300       10      1     0         311  2026-11-10
Cold brew in 60 s    tiktok      1000   100       20      5     5         130  2026-11-01
                     instagram    500    50       30      0    10          90  2026-11-02
Espresso myths       instagram   null     5        1   null  null           6  2026-10-01

followers (A): creator_amy (tiktok) 3 comments + 1 like on Cold brew -> 16, lurker;
super_sam (instagram) 50 shares + 1 comment on Cold brew -> 505, super_fan;
lurker_lu (tiktok) 1 like on Cold brew -> 1, inactive; quiet_quinn (youtube) no interactions.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from fanlens.auth import service as auth_service
from fanlens.content.models import ContentTag
from fanlens.server.app import create_app
from tests.fixtures.builders import (
    create_content,
    create_follower,
    create_post,
    create_workspace,
    interact,
)
from tests.fixtures.database import create_database, drop_database

API = "/api/social-analytics"


def at(day: int, hour: int = 12, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


@dataclass
class World:
    url: str
    engine: Engine
    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, uuid.UUID] = field(default_factory=dict)

    def headers(self, who: str = "a_read") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


def _build(session: Session, world: World) -> None:
    a = create_workspace(session, "amy-studio")
    b = create_workspace(session, "other")
    latte = create_content(session, a, slug="latte", title="Latte art basics")
    brew = create_content(session, a, slug="cold-brew", title="Cold brew in 60 seconds")
    myths = create_content(session, a, slug="myths", title="Espresso myths")
    session.add(ContentTag(workspace_id=a.id, content_id=brew.id, tag_value="coffee"))
    create_post(session, latte, platform="youtube", views=2000, likes=300, comments=10,
                shares=1, saves=0, posted_at=at(10))  # fmt: skip
    brew_tt = create_post(session, brew, platform="tiktok", views=1000, likes=100, comments=20,
                          shares=5, saves=5, posted_at=at(1))  # fmt: skip
    brew_ig = create_post(session, brew, platform="instagram", views=500, likes=50, comments=30,
                          shares=0, saves=10, posted_at=at(2))  # fmt: skip
    create_post(session, myths, platform="instagram", likes=5, comments=1, posted_at=at(1, 12, 10))
    amy = create_follower(session, a, platform="tiktok", username="creator_amy")
    sam = create_follower(session, a, platform="instagram", username="super_sam")
    lu = create_follower(session, a, platform="tiktok", username="lurker_lu")
    quinn = create_follower(session, a, platform="youtube", username="quiet_quinn")
    for day in (18, 19, 20):
        interact(session, amy, "comment", post=brew_tt, occurred_at=at(day),
                 value=f"love it (day {day})")  # fmt: skip
    interact(session, amy, "like", post=brew_tt, occurred_at=at(20, 13))
    for n in range(50):
        interact(session, sam, "share", post=brew_ig, occurred_at=at(3, 0).replace(minute=n))
    so_good = interact(session, sam, "comment", post=brew_ig, occurred_at=at(4), value="so good")
    interact(session, lu, "like", post=brew_tt, occurred_at=at(12))
    b_item = create_content(session, b, slug="secret", title="Secret B video")
    b_post = create_post(session, b_item, platform="tiktok", views=9, likes=9, posted_at=at(5))
    b_fan = create_follower(session, b, platform="tiktok", username="creator_amy")
    interact(session, b_fan, "comment", post=b_post, occurred_at=at(19), value="B secret")
    for who, ws, scope in (("a_read", a, "read"), ("a_write", a, "write"), ("b_read", b, "read")):
        world.tokens[who] = auth_service.create(
            session=session, workspace_id=ws.id, name=who, scope=scope
        ).secret
    revoked = auth_service.create(session=session, workspace_id=a.id, name="old", scope="read")
    auth_service.revoke(session=session, token_id=revoked.token.id)
    world.tokens["revoked"] = revoked.secret
    world.ids.update(
        a=a.id, b=b.id, latte=latte.id, brew=brew.id, myths=myths.id, amy=amy.id, sam=sam.id,
        lu=lu.id, quinn=quinn.id, b_item=b_item.id, b_fan=b_fan.id,
        so_good=so_good.interaction.id,
    )  # fmt: skip
    world.ids["campaign"] = _campaign(session, a.id)


def _campaign(session: Session, workspace_id: uuid.UUID) -> uuid.UUID:
    from fanlens.outreach import service as outreach
    from fanlens.outreach.schemas import CampaignIn, SegmentFilters, SegmentIn

    outreach.create_segment(
        session=session, workspace_id=workspace_id,
        data=SegmentIn(name="fans", filters=SegmentFilters(tiers=["super_fan"])),
    )  # fmt: skip
    data = CampaignIn(name="thanks", segment="fans", channel="csv", template="Hi {{ name }}")
    return outreach.create_campaign(session=session, workspace_id=workspace_id, data=data).id


@pytest.fixture(scope="session")
def world(admin_url: str, template_database: str) -> Iterator[World]:
    yield from _world(admin_url, template_database)


@pytest.fixture(scope="session")
def fuzz_world(admin_url: str, template_database: str) -> Iterator[World]:
    """A second copy for tests that write (the fuzzer posts to ingest)."""
    yield from _world(admin_url, template_database)


@pytest.fixture(scope="session")
def scoring_world(admin_url: str, template_database: str) -> Iterator[World]:
    """A third copy, for the test that changes the scoring rules (the fuzzer changes them too)."""
    yield from _world(admin_url, template_database)


def _world(admin_url: str, template_database: str) -> Iterator[World]:
    name = f"fanlens_api_{uuid.uuid4().hex[:8]}"
    url = create_database(admin_url, name, template=template_database)
    engine = create_engine(url, pool_size=10, max_overflow=10)
    built = World(url=url, engine=engine)
    with Session(engine, expire_on_commit=False) as session:
        _build(session, built)
        session.commit()
    yield built
    engine.dispose()
    drop_database(admin_url, make_url(url).database or name)


@pytest.fixture(scope="session")
def client(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(world.engine)) as test_client:
        yield test_client
