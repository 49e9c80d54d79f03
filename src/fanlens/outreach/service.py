"""Outreach rules: segments, campaigns, the plan (who gets what, who is left out and why),
scheduling a send into the outbox, opt-outs, addresses, settings.

Keyword-only, flush never commit. Sending happens in fanlens.outreach.delivery after the
caller's commit.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fanlens.config import settings
from fanlens.kit.errors import Conflict, InvalidInput, NotFound
from fanlens.outreach import guards, repository, templates
from fanlens.outreach.models import (
    OutreachAddress,
    OutreachCampaign,
    OutreachOptOut,
    OutreachRecipient,
    OutreachSegment,
    OutreachSettings,
)
from fanlens.outreach.schemas import (
    CampaignIn,
    CampaignOut,
    CampaignStatus,
    LeftOut,
    Plan,
    PlannedMessage,
    RecipientOut,
    SegmentFilters,
    SegmentIn,
    SettingsIn,
)
from fanlens.people import service as people_service

REPLY_PLATFORMS = {"youtube_reply": "youtube", "bluesky_reply": "bluesky",
                   "mastodon_mention": "mastodon"}  # fmt: skip
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


# -- settings ---------------------------------------------------------------------------------


def settings_of(*, session: Session, workspace_id: uuid.UUID) -> OutreachSettings:
    return repository.settings_row(session, workspace_id=workspace_id)


def update_settings(
    *, session: Session, workspace_id: uuid.UUID, changes: SettingsIn
) -> OutreachSettings:
    row = settings_of(session=session, workspace_id=workspace_id)
    values = changes.model_dump(exclude_unset=True)
    if "time_zone" in values and values["time_zone"] is not None:
        guards.zone(values["time_zone"])
    for name, value in values.items():
        setattr(row, name, value)
    if (row.quiet_start is None) != (row.quiet_end is None):
        raise InvalidInput("quiet hours need both a start and an end")
    row.updated_at = datetime.now(UTC)
    session.flush()
    return row


# -- segments ---------------------------------------------------------------------------------


def create_segment(
    *, session: Session, workspace_id: uuid.UUID, data: SegmentIn
) -> OutreachSegment:
    segment = OutreachSegment(
        workspace_id=workspace_id,
        name=data.name,
        filters=data.filters.model_dump(mode="json", exclude_none=True),
    )
    session.add(segment)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict(f"a segment named {data.name!r} exists") from exc
    return segment


def list_segments(*, session: Session, workspace_id: uuid.UUID) -> list[OutreachSegment]:
    return repository.segments(session, workspace_id=workspace_id)


def get_segment(*, session: Session, workspace_id: uuid.UUID, ref: str) -> OutreachSegment:
    segment = repository.segment_by_name_or_id(session, workspace_id=workspace_id, ref=ref)
    if segment is None:
        raise NotFound(f"no segment {ref!r} in this workspace")
    return segment


def members(*, session: Session, workspace_id: uuid.UUID, filters: SegmentFilters) -> list[Any]:
    return list(repository.segment_people(session, workspace_id=workspace_id, filters=filters))


# -- campaigns --------------------------------------------------------------------------------


def create_campaign(
    *, session: Session, workspace_id: uuid.UUID, data: CampaignIn
) -> OutreachCampaign:
    segment = get_segment(session=session, workspace_id=workspace_id, ref=data.segment)
    _check_templates(data.template, data.subject)
    _check_options(data.channel, data.options)
    campaign = OutreachCampaign(
        workspace_id=workspace_id,
        name=data.name,
        segment_id=segment.id,
        channel=data.channel,
        subject=data.subject,
        template=data.template,
        options=data.options,
    )
    session.add(campaign)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict(f"a campaign named {data.name!r} exists") from exc
    return campaign


def _check_templates(template: str, subject: str | None) -> None:
    templates.check(template)
    if subject:
        templates.check(subject)


def _check_options(channel: str, options: dict[str, Any]) -> None:
    if channel == "webhook" and not (options.get("url") or settings.outreach_webhook_url):
        raise InvalidInput("a webhook campaign needs options.url (or FANLENS_OUTREACH_WEBHOOK_URL)")
    if channel in REPLY_PLATFORMS and not options.get("account_id"):
        raise InvalidInput(f"a {channel} campaign needs options.account_id (a connected account)")


def get_campaign(
    *, session: Session, workspace_id: uuid.UUID, ref: str, lock: bool = False
) -> OutreachCampaign:
    campaign = repository.campaign_by_name_or_id(
        session, workspace_id=workspace_id, ref=ref, lock=lock
    )
    if campaign is None:
        raise NotFound(f"no campaign {ref!r} in this workspace")
    return campaign


def list_campaigns(*, session: Session, workspace_id: uuid.UUID) -> list[OutreachCampaign]:
    return repository.campaigns(session, workspace_id=workspace_id)


# -- the plan ---------------------------------------------------------------------------------


@dataclass
class Prospect:
    person_id: uuid.UUID
    name: str | None
    follower_id: uuid.UUID | None
    address: str | None
    context: dict[str, Any]
    missing: str | None = None  # why this channel cannot reach them


@dataclass
class Audience:
    prospects: list[Prospect]
    reasons: dict[uuid.UUID, str] = field(default_factory=dict)


def plan(
    *,
    session: Session,
    workspace_id: uuid.UUID,
    campaign: OutreachCampaign,
    now: datetime | None = None,
    limit: int | None = None,
) -> Plan:
    """Every message the campaign would send now and every person left out, with the reason.
    Nothing is stored: this is the preview and the dry run."""
    now = now or datetime.now(UTC)
    # A draft saved before a limit held is refused whole (422), not left out person by person.
    _check_templates(campaign.template, campaign.subject)
    cfg = settings_of(session=session, workspace_id=workspace_id)
    audience = _audience(session, workspace_id, campaign, cfg, now)
    messages: list[PlannedMessage] = []
    left_out: list[LeftOut] = []
    for p in audience.prospects:
        reason = audience.reasons.get(p.person_id) or p.missing
        rendered: tuple[str | None, str] | None = None
        if reason is None:
            try:
                rendered = _render(campaign, p)
            except InvalidInput as exc:  # a template error for this person only
                reason = exc.message
        if rendered is None:
            left_out.append(LeftOut(person_id=p.person_id, name=p.name, reason=reason or "?"))
            continue
        subject, body = rendered
        if campaign.channel == "mastodon_mention":
            body = _mention(p.context["handle"], body)
        messages.append(
            PlannedMessage(
                person_id=p.person_id,
                follower_id=p.follower_id,
                name=p.name,
                address=p.address,
                subject=subject,
                body=body,
            )
        )
    remaining = _cap_remaining(session, workspace_id, campaign.channel, cfg, now)
    if remaining is not None:
        resume = guards.next_day_start(cfg, now).isoformat()
        for m in messages[remaining:]:
            m.note = f"daily cap reached: sent from {resume}"
    return Plan(
        campaign_id=campaign.id,
        channel=campaign.channel,
        messages=messages[:limit] if limit else messages,
        left_out=left_out[:limit] if limit else left_out,
        quiet_until=guards.quiet_until(cfg, now),
        daily_cap_remaining=remaining,
    )


def _mention(handle: str, body: str) -> str:
    """A Mastodon mention names the person, or they are not notified."""
    mention = f"@{handle}"
    return body if not handle or mention in body else f"{mention} {body}"


def _render(campaign: OutreachCampaign, prospect: Prospect) -> tuple[str | None, str]:
    subject = templates.render(campaign.subject, prospect.context) if campaign.subject else None
    return subject, templates.render(campaign.template, prospect.context)


def _cap_remaining(
    session: Session, workspace_id: uuid.UUID, channel: str, cfg: OutreachSettings, now: datetime
) -> int | None:
    cap = cfg.daily_caps.get(channel)
    if cap is None:
        return None
    used = repository.contacts_since(
        session, workspace_id=workspace_id, channel=channel, since=guards.day_start(cfg, now)
    )
    return max(0, int(cap) - used)


def _filters(segment: OutreachSegment) -> SegmentFilters:
    try:
        return SegmentFilters.model_validate(segment.filters)
    except ValidationError as exc:  # saved before today's bounds held
        raise InvalidInput(
            f"segment {segment.name!r} has filters outside today's bounds; save it again: "
            + "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        ) from exc


def _audience(
    session: Session,
    workspace_id: uuid.UUID,
    campaign: OutreachCampaign,
    cfg: OutreachSettings,
    now: datetime,
) -> Audience:
    segment = session.get(OutreachSegment, campaign.segment_id)
    assert segment is not None  # RESTRICT keeps it while a campaign uses it
    people = members(session=session, workspace_id=workspace_id, filters=_filters(segment))
    prospects = _prospects(session, workspace_id, people, campaign)
    ids = [p.person_id for p in prospects]
    reasons = guard_reasons(
        session=session, workspace_id=workspace_id, person_ids=ids, campaign=campaign, cfg=cfg,
        now=now,
    )  # fmt: skip
    return Audience(prospects=prospects, reasons=reasons)


def guard_reasons(
    *,
    session: Session,
    workspace_id: uuid.UUID,
    person_ids: Sequence[uuid.UUID],
    campaign: OutreachCampaign,
    cfg: OutreachSettings,
    now: datetime,
    recipient_id: uuid.UUID | None = None,
) -> dict[uuid.UUID, str]:
    """Why the guards leave people out: opt-out, then cooldown, then negative comments.

    Planning compares with other campaigns; at send time (`recipient_id`) every other message
    counts, this campaign's included (two of its people may have been merged since)."""
    reasons: dict[uuid.UUID, str] = {}
    if not person_ids:
        return reasons
    if cfg.skip_negative:
        since = now - timedelta(days=cfg.negative_days)
        for pid, row in repository.recent_sentiment(
            session, workspace_id=workspace_id, person_ids=person_ids, since=since
        ).items():
            if row.negative and row.negative / row.judged >= cfg.negative_share:
                reasons[pid] = (
                    f"recent comments negative ({row.negative} of {row.judged} "
                    f"in {cfg.negative_days} days)"
                )
    if cfg.cooldown_days:
        since = now - timedelta(days=cfg.cooldown_days)
        for pid, at in repository.last_contacts(
            session, workspace_id=workspace_id, person_ids=person_ids, since=since,
            exclude_campaign_id=None if recipient_id else campaign.id,
            exclude_recipient_id=recipient_id,
        ).items():  # fmt: skip
            reasons[pid] = (
                f"cooldown: contacted {at:%Y-%m-%d %H:%M} UTC (< {cfg.cooldown_days} days)"
            )
    for pid, row in repository.opt_outs(
        session, workspace_id=workspace_id, person_ids=person_ids, channel=campaign.channel
    ).items():
        scope = "every channel" if row.channel == "*" else row.channel
        reasons[pid] = f"opted out ({scope})" + (f": {row.reason}" if row.reason else "")
    return reasons


def _prospects(
    session: Session, workspace_id: uuid.UUID, people: Sequence[Any], campaign: OutreachCampaign
) -> list[Prospect]:
    ids = [p.person_id for p in people]
    if not ids:
        return []
    by_person: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for row in repository.identities(session, workspace_id=workspace_id, person_ids=ids):
        by_person[row.person_id].append(row)
    counts: dict[uuid.UUID, dict[str, int]] = defaultdict(dict)
    first: dict[uuid.UUID, datetime] = {}
    for row in repository.interaction_counts(session, workspace_id=workspace_id, person_ids=ids):
        counts[row.person_id][row.interaction_type] = int(row.n)
        if row.first_at and (row.person_id not in first or row.first_at < first[row.person_id]):
            first[row.person_id] = row.first_at
    top = {
        r.person_id: r.title or r.slug
        for r in repository.top_content(session, workspace_id=workspace_id, person_ids=ids)
    }
    addresses = _addresses(session, workspace_id, ids, by_person, campaign)
    prospects = []
    for p in people:
        identities = by_person.get(p.person_id, [])
        follower_id, address, missing = addresses.get(p.person_id, (None, None, "no identity"))
        used = next((i for i in identities if i.follower_id == follower_id), None)
        used = used or (identities[0] if identities else None)
        name = _name(identities)
        context = {
            "name": name or "",
            "handle": (used.username or "") if used else "",
            "platform": used.platform if used else "",
            "top_content": top.get(p.person_id, ""),
            "first_interaction": f"{first[p.person_id]:%Y-%m-%d}" if p.person_id in first else "",
            "counts": counts.get(p.person_id, {}),
            "comments": counts.get(p.person_id, {}).get("comment", 0),
            "interactions": sum(counts.get(p.person_id, {}).values()),
            "score": float(p.engagement_score or 0),
            "tier": p.tier,
        }
        prospects.append(
            Prospect(
                person_id=p.person_id,
                name=name,
                follower_id=follower_id or (used.follower_id if used else None),
                address=address,
                context=context,
                missing=missing,
            )
        )
    return prospects


def _name(identities: Sequence[Any]) -> str | None:
    if identities and identities[0].person_name:
        return str(identities[0].person_name)
    for i in identities:
        if i.display_name or i.username:
            return str(i.display_name or i.username)
    return None


def _addresses(
    session: Session,
    workspace_id: uuid.UUID,
    ids: list[uuid.UUID],
    by_person: dict[uuid.UUID, list[Any]],
    campaign: OutreachCampaign,
) -> dict[uuid.UUID, tuple[uuid.UUID | None, str | None, str | None]]:
    """(identity addressed, address, why unreachable) per person for the campaign's channel."""
    channel = campaign.channel
    out: dict[uuid.UUID, tuple[uuid.UUID | None, str | None, str | None]] = {}
    if channel == "email":
        by_hand = repository.hand_set_emails(session, workspace_id=workspace_id, person_ids=ids)
        for pid in ids:
            found = by_hand.get(pid) or _enriched_email(by_person.get(pid, []))
            out[pid] = (None, found, None if found else "no e-mail address")
    elif channel in REPLY_PLATFORMS:
        platform = REPLY_PLATFORMS[channel]
        latest = {
            r.person_id: r
            for r in repository.latest_comments(
                session, workspace_id=workspace_id, person_ids=ids, platform=platform
            )
        }
        for pid in ids:
            row = latest.get(pid)
            out[pid] = (
                (row.follower_id, row.external_id, None)
                if row
                else (None, None, f"no {platform} comment to reply to")
            )
    else:
        url = campaign.options.get("url") or settings.outreach_webhook_url
        for pid in ids:
            first = by_person.get(pid, [])
            handle = f"{first[0].platform}:{first[0].username}" if first else None
            out[pid] = (None, url if channel == "webhook" else handle, None)
    return out


def _enriched_email(identities: Sequence[Any]) -> str | None:
    """An address the person published: a mailto: profile link, else one in a bio."""
    for i in identities:
        for link in i.links or []:
            if isinstance(link, str) and link.lower().startswith("mailto:"):
                return link[7:].split("?")[0]
    for i in identities:
        found = _EMAIL.search(i.bio or "")
        if found:
            return found.group(0)
    return None


# -- sending ----------------------------------------------------------------------------------


def schedule(
    *,
    session: Session,
    workspace_id: uuid.UUID,
    ref: str,
    at: datetime | None = None,
    now: datetime | None = None,
) -> OutreachCampaign:
    """Write the outbox (every message queued, every person left out as skipped with the
    reason) and mark the campaign scheduled. The caller commits, then queues delivery."""
    now = now or datetime.now(UTC)
    campaign = get_campaign(session=session, workspace_id=workspace_id, ref=ref, lock=True)
    if campaign.status != "draft":
        raise Conflict(f"campaign {campaign.name!r} is already {campaign.status}")
    found = plan(session=session, workspace_id=workspace_id, campaign=campaign, now=now)
    rows = [_queued(campaign, m, at) for m in found.messages]
    rows += [_skipped(campaign, lo) for lo in found.left_out]
    session.add_all(rows)
    campaign.status = "scheduled"
    campaign.send_at = at or now
    session.flush()
    for r in rows:
        repository.add_event(
            session, workspace_id=workspace_id, campaign_id=campaign.id, recipient_id=r.id,
            event=r.status, detail={"reason": r.reason} if r.reason else {},
        )  # fmt: skip
    session.flush()
    return campaign


def _queued(
    campaign: OutreachCampaign, m: PlannedMessage, at: datetime | None
) -> OutreachRecipient:
    return OutreachRecipient(
        workspace_id=campaign.workspace_id, campaign_id=campaign.id, person_id=m.person_id,
        follower_id=m.follower_id, channel=campaign.channel, address=m.address,
        subject=m.subject, body=m.body, status="queued", next_attempt_at=at,
    )  # fmt: skip


def _skipped(campaign: OutreachCampaign, lo: LeftOut) -> OutreachRecipient:
    return OutreachRecipient(
        workspace_id=campaign.workspace_id, campaign_id=campaign.id, person_id=lo.person_id,
        channel=campaign.channel, status="skipped", reason=lo.reason,
    )  # fmt: skip


def status(
    *, session: Session, workspace_id: uuid.UUID, ref: str, recipient_status: str | None = None
) -> CampaignStatus:
    campaign = get_campaign(session=session, workspace_id=workspace_id, ref=ref)
    rows = repository.recipients(session, campaign_id=campaign.id, status=recipient_status)
    return CampaignStatus(
        campaign=CampaignOut.model_validate(campaign),
        counts=repository.status_counts(session, campaign_id=campaign.id),
        recipients=[RecipientOut.model_validate(r) for r in rows],
    )


# -- consent and addresses --------------------------------------------------------------------


def opt_out(
    *,
    session: Session,
    workspace_id: uuid.UUID,
    person_id: uuid.UUID,
    channel: str = "*",
    reason: str | None = None,
    by: str,
) -> OutreachOptOut:
    person = people_service.get(session=session, workspace_id=workspace_id, person_id=person_id)
    row = OutreachOptOut(
        workspace_id=workspace_id, person_id=person.id, channel=channel, reason=reason,
        created_by=by,
    )  # fmt: skip
    session.add(row)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict(f"person {person_id} has already opted out of {channel}") from exc
    return row


def remove_opt_out(
    *, session: Session, workspace_id: uuid.UUID, person_id: uuid.UUID, channel: str = "*"
) -> bool:
    return repository.delete_opt_out(
        session, workspace_id=workspace_id, person_id=person_id, channel=channel
    )


def set_address(
    *, session: Session, workspace_id: uuid.UUID, person_id: uuid.UUID, email: str
) -> OutreachAddress:
    person = people_service.get(session=session, workspace_id=workspace_id, person_id=person_id)
    repository.upsert_address(session, workspace_id=workspace_id, person_id=person.id, email=email)
    found = repository.hand_set_emails(session, workspace_id=workspace_id, person_ids=[person.id])
    return OutreachAddress(workspace_id=workspace_id, person_id=person.id, email=found[person.id])
