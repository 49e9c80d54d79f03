"""Segments and the plan: who gets which message, who is left out and why (nothing stored)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from fanlens.content.models import ContentTag
from fanlens.kit.errors import InvalidInput
from fanlens.outreach import service
from fanlens.outreach.models import OutreachRecipient
from fanlens.outreach.schemas import SegmentFilters, SettingsIn
from fanlens.people import service as people_service
from tests.fixtures.builders import create_content, create_post, create_workspace
from tests.outreach.helpers import NOW, campaign, fan, more_clicks, person, says


def _members(session: Session, ws_id, **filters) -> set:  # type: ignore[no-untyped-def]
    rows = service.members(session=session, workspace_id=ws_id, filters=SegmentFilters(**filters))
    return {r.person_id for r in rows}


def test_segment_filters(session: Session) -> None:
    ws = create_workspace(session)
    item = create_content(session, ws, title="Pour-over")
    session.add(ContentTag(workspace_id=ws.id, content_id=item.id, tag_value="coffee"))
    post = create_post(session, item, platform="youtube")
    post_bsky = create_post(session, item, platform="bluesky")
    ada = fan(session, ws, "ada", clicks=40)  # super fan (600), youtube
    bo = fan(session, ws, "bo", platform="bluesky", clicks=8)  # active (120)
    cy = fan(session, ws, "cy", clicks=1)  # lurker (15)
    old = fan(session, ws, "old", at=NOW - timedelta(days=90))  # super fan, long quiet
    says(session, bo, post_bsky, "so good", "positive")
    says(session, cy, post, "meh, this is bad", "negative")
    p = {name: person(session, f) for name, f in
         {"ada": ada, "bo": bo, "cy": cy, "old": old}.items()}  # fmt: skip

    assert _members(session, ws.id, tiers=["super_fan"]) == {p["ada"], p["old"]}
    assert _members(session, ws.id, platforms=["bluesky"]) == {p["bo"]}
    assert _members(session, ws.id, min_score=100, max_score=200) == {p["bo"]}
    assert _members(session, ws.id, active_within_days=30) == {p["ada"], p["bo"], p["cy"]}
    assert _members(session, ws.id, tags=["coffee"]) == {p["bo"], p["cy"]}
    assert _members(session, ws.id, sentiment="positive") == {p["bo"]}
    assert _members(session, ws.id, sentiment="negative") == {p["cy"]}
    assert _members(session, ws.id, tiers=["super_fan"], limit=1) == {p["ada"]}

    # Rising: moved up a tier recently (the tier history the scoring triggers keep).
    riser = fan(session, ws, "riser", clicks=1)  # lurker ...
    session.execute(
        text("UPDATE follower_tier_changes SET changed_at = now() - interval '60 days'")
    )
    more_clicks(session, riser, 40)  # ... then a super fan
    faller = fan(session, ws, "faller", clicks=0)
    session.execute(
        text("INSERT INTO follower_tier_changes (workspace_id, follower_id, from_tier, to_tier,"
             " score, config_version) VALUES (:ws, :f, 'active', 'lurker', 20, 1)"),
        {"ws": ws.id, "f": faller.id},
    )  # a recent move down is not rising  # fmt: skip
    assert _members(session, ws.id, rising_within_days=7) == {person(session, riser)}


def test_segment_filters_reject_bad_input() -> None:
    with pytest.raises(ValueError):
        SegmentFilters(min_score=10, max_score=1)
    with pytest.raises(ValueError):
        SegmentFilters(tiers=["mega"])  # type: ignore[list-item]


def test_template_is_sandboxed_and_checked(session: Session) -> None:
    ws = create_workspace(session)
    for bad in ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "Hi {{ nobody }}", "{% if %}"):
        with pytest.raises(InvalidInput):
            campaign(session, ws, template=bad)


def test_plan_renders_every_message_with_person_variables(session: Session) -> None:
    ws = create_workspace(session)
    item = create_content(session, ws, title="Cold brew in 60 seconds")
    post = create_post(session, item, platform="youtube")
    ada = fan(session, ws, "ada", display_name="Ada L.")
    says(session, ada, post, "love it", "positive", at=datetime(2026, 1, 31, tzinfo=UTC))
    c = campaign(
        session, ws,
        template="Hi {{ name }} (@{{ handle }}): {{ counts.comment }} comment(s) on "
                 "{{ top_content }} since {{ first_interaction }}; tier {{ tier }}",
    )  # fmt: skip
    plan = service.plan(session=session, workspace_id=ws.id, campaign=c)
    assert [m.body for m in plan.messages] == [
        "Hi Ada L. (@ada): 1 comment(s) on Cold brew in 60 seconds since 2026-01-31; tier super_fan"
    ]
    assert plan.left_out == []
    assert session.query(OutreachRecipient).count() == 0  # a dry run stores nothing


def test_guards_each_leave_out_the_right_people(session: Session) -> None:
    ws = create_workspace(session)
    post = create_post(session, create_content(session, ws), platform="youtube")
    fans = {n: fan(session, ws, n) for n in ("ok", "optout", "optout_mail", "cool", "grumpy")}
    p = {n: person(session, f) for n, f in fans.items()}
    # A second identity of "cool" (another platform) was contacted by an earlier campaign:
    # the cooldown is per person, across identities.
    cool_bsky = fan(session, ws, "cool_bsky", platform="bluesky", clicks=0)
    people_service.merge(session=session, workspace_id=ws.id, target_person_id=p["cool"],
                         source_person_id=person(session, cool_bsky), merged_by="test")  # fmt: skip
    earlier = campaign(session, ws, filters=SegmentFilters(platforms=["nowhere"]))
    session.add(
        OutreachRecipient(
            workspace_id=ws.id, campaign_id=earlier.id, person_id=p["cool"],
            follower_id=cool_bsky.id, channel="email", status="sent",
            sent_at=NOW - timedelta(days=3),
        )
    )  # fmt: skip
    service.opt_out(session=session, workspace_id=ws.id, person_id=p["optout"], by="t")
    service.opt_out(session=session, workspace_id=ws.id, person_id=p["optout_mail"],
                    channel="email", reason="asked", by="t")  # fmt: skip
    says(session, fans["grumpy"], post, "awful", "negative")
    says(session, fans["grumpy"], post, "worse", "negative")
    says(session, fans["grumpy"], post, "fine", "neutral")
    says(session, fans["ok"], post, "bad day", "negative")  # 1 of 3: under the share
    says(session, fans["ok"], post, "great", "positive")
    says(session, fans["ok"], post, "great", "positive")
    session.flush()

    c = campaign(session, ws)  # webhook: every fan has an address
    plan = service.plan(session=session, workspace_id=ws.id, campaign=c)
    reasons = {lo.person_id: lo.reason for lo in plan.left_out}
    assert {m.person_id for m in plan.messages} == {p["ok"], p["optout_mail"]}
    assert reasons[p["optout"]] == "opted out (every channel)"
    assert reasons[p["cool"]].startswith("cooldown: contacted")
    assert reasons[p["grumpy"]] == "recent comments negative (2 of 3 in 30 days)"
    assert set(reasons) == {p["optout"], p["cool"], p["grumpy"]}

    mail = campaign(session, ws, "email", subject="Hi {{ name }}")
    service.set_address(session=session, workspace_id=ws.id, person_id=p["ok"], email="ok@x.test")
    mail_plan = service.plan(session=session, workspace_id=ws.id, campaign=mail)
    mail_reasons = {lo.person_id: lo.reason for lo in mail_plan.left_out}
    assert [m.address for m in mail_plan.messages] == ["ok@x.test"]
    assert mail_reasons[p["optout_mail"]] == "opted out (email): asked"

    # Each guard is configurable: without cooldown and sentiment guard, only opt-outs remain.
    service.update_settings(session=session, workspace_id=ws.id,
                            changes=SettingsIn(cooldown_days=0, skip_negative=False))  # fmt: skip
    relaxed = service.plan(session=session, workspace_id=ws.id, campaign=c)
    assert {lo.person_id for lo in relaxed.left_out} == {p["optout"]}


def test_email_address_from_enrichment(session: Session) -> None:
    ws = create_workspace(session)
    a = fan(session, ws, "a", bio="collabs: a.fan@example.test")
    b = fan(session, ws, "b")
    c = campaign(session, ws, "email", subject="hello")
    plan = service.plan(session=session, workspace_id=ws.id, campaign=c)
    assert [(m.person_id, m.address) for m in plan.messages] == [
        (person(session, a), "a.fan@example.test")
    ]
    assert [(lo.person_id, lo.reason) for lo in plan.left_out] == [
        (person(session, b), "no e-mail address")
    ]


def test_daily_cap_and_quiet_hours_in_the_plan(session: Session) -> None:
    ws = create_workspace(session)
    for n in range(3):
        fan(session, ws, f"f{n}")
    local = datetime.now(UTC).astimezone()
    service.update_settings(
        session=session, workspace_id=ws.id,
        changes=SettingsIn(time_zone="Asia/Tokyo", daily_caps={"webhook": 2},
                           quiet_start=time(0, 0), quiet_end=time(23, 59)),
    )  # fmt: skip
    c = campaign(session, ws)
    plan = service.plan(session=session, workspace_id=ws.id, campaign=c)
    assert plan.daily_cap_remaining == 2
    assert [m.note is not None for m in plan.messages] == [False, False, True]
    assert plan.quiet_until is not None and plan.quiet_until > local
