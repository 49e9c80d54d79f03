"""`fanlens outreach …`: segments, campaigns (create, preview, dry-run, send, status, resume,
export, log), opt-outs, hand-set addresses and the workspace's guards."""

from __future__ import annotations

import json
import sys
import uuid
from datetime import datetime, time
from pathlib import Path
from typing import Annotated, Any

import typer

from fanlens.kit.cli import WorkspaceOption, friendly_errors
from fanlens.kit.csv_cells import write_rows
from fanlens.kit.errors import InvalidInput
from fanlens.workspaces.cli import named_workspace

outreach_app = typer.Typer(
    help="Outreach to fans: segments, campaigns, opt-outs.", no_args_is_help=True
)
segments_app = typer.Typer(help="Saved filters over people.", no_args_is_help=True)
campaigns_app = typer.Typer(help="Segment + template + channel.", no_args_is_help=True)
outreach_app.add_typer(segments_app, name="segments")
outreach_app.add_typer(campaigns_app, name="campaigns")
app = typer.Typer()
app.add_typer(outreach_app, name="outreach")


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, default=str))


@segments_app.command("create")
@friendly_errors
def segment_create(
    name: str,
    tier: Annotated[
        list[str] | None, typer.Option(help="inactive, lurker, active, super_fan.")
    ] = None,
    platform: Annotated[list[str] | None, typer.Option(help="Has an identity here.")] = None,
    min_score: Annotated[float | None, typer.Option()] = None,
    max_score: Annotated[float | None, typer.Option()] = None,
    active_days: Annotated[int | None, typer.Option(help="Active within N days.")] = None,
    rising_days: Annotated[int | None, typer.Option(help="Moved up a tier within N days.")] = None,
    tag: Annotated[list[str] | None, typer.Option(help="Engaged with content tagged so.")] = None,
    sentiment: Annotated[str | None, typer.Option(help="positive, neutral or negative.")] = None,
    sentiment_days: Annotated[int, typer.Option()] = 30,
    limit: Annotated[int | None, typer.Option(help="At most N people, best first.")] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Save a segment."""
    from pydantic import ValidationError

    from fanlens.db.engine import unit_of_work
    from fanlens.outreach import service
    from fanlens.outreach.schemas import SegmentFilters, SegmentIn

    try:
        filters = SegmentFilters(
            tiers=tier or None, platforms=platform or None, min_score=min_score,
            max_score=max_score, active_within_days=active_days, rising_within_days=rising_days,
            tags=tag or None, sentiment=sentiment, sentiment_days=sentiment_days, limit=limit,
        )  # fmt: skip
    except ValidationError as exc:
        raise InvalidInput(str(exc)) from exc
    with unit_of_work() as session:
        ws = named_workspace(session, workspace).id
        segment = service.create_segment(
            session=session, workspace_id=ws, data=SegmentIn(name=name, filters=filters)
        )
        count = len(service.members(session=session, workspace_id=ws, filters=filters))
    print(f"created segment {segment.name} ({segment.id}): {count} people now")


@segments_app.command("list")
@friendly_errors
def segment_list(workspace: WorkspaceOption = None) -> None:
    """List segments: name, id, filters (JSON)."""
    from fanlens.db.engine import unit_of_work
    from fanlens.outreach import service

    with unit_of_work() as session:
        for s in service.list_segments(
            session=session, workspace_id=named_workspace(session, workspace).id
        ):
            print(f"{s.name}\t{s.id}\t{json.dumps(s.filters)}")


@segments_app.command("show")
@friendly_errors
def segment_show(segment: str, workspace: WorkspaceOption = None) -> None:
    """The people in a segment now: person id, tier, score, last active."""
    from fanlens.db.engine import unit_of_work
    from fanlens.outreach import service
    from fanlens.outreach.schemas import SegmentFilters

    with unit_of_work() as session:
        ws = named_workspace(session, workspace).id
        found = service.get_segment(session=session, workspace_id=ws, ref=segment)
        rows = service.members(
            session=session, workspace_id=ws, filters=SegmentFilters.model_validate(found.filters)
        )
    for r in rows:
        print(f"{r.person_id}\t{r.tier}\t{float(r.engagement_score):.1f}\t{r.last_interaction_at}")


@campaigns_app.command("create")
@friendly_errors
def campaign_create(
    name: str,
    segment: Annotated[str, typer.Option(help="Segment name or id.")],
    channel: Annotated[
        str,
        typer.Option(help="webhook, email, csv, youtube_reply, bluesky_reply, mastodon_mention."),
    ],
    template: Annotated[str | None, typer.Option(help="Jinja2 message template.")] = None,
    template_file: Annotated[Path | None, typer.Option(help="Read the template here.")] = None,
    subject: Annotated[str | None, typer.Option(help="E-mail subject (a template too).")] = None,
    url: Annotated[str | None, typer.Option(help="Webhook URL.")] = None,
    account_id: Annotated[str | None, typer.Option(help="Account that replies.")] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Create a draft campaign (the template is checked against sample variables)."""
    from pydantic import ValidationError

    from fanlens.db.engine import unit_of_work
    from fanlens.outreach import service
    from fanlens.outreach.schemas import CampaignIn

    body = template_file.read_text(encoding="utf-8") if template_file else template
    if not body:
        raise InvalidInput("give --template or --template-file")
    options = {k: v for k, v in {"url": url, "account_id": account_id}.items() if v}
    try:
        data = CampaignIn(name=name, segment=segment, channel=channel, template=body,
                          subject=subject, options=options)  # fmt: skip
    except ValidationError as exc:
        raise InvalidInput(str(exc)) from exc
    with unit_of_work() as session:
        campaign = service.create_campaign(
            session=session, workspace_id=named_workspace(session, workspace).id, data=data
        )
    print(f"created campaign {campaign.name} ({campaign.id})")


@campaigns_app.command("list")
@friendly_errors
def campaign_list(workspace: WorkspaceOption = None) -> None:
    """List campaigns: name, id, channel, status, send time."""
    from fanlens.db.engine import unit_of_work
    from fanlens.outreach import service

    with unit_of_work() as session:
        for c in service.list_campaigns(
            session=session, workspace_id=named_workspace(session, workspace).id
        ):
            print(f"{c.name}\t{c.id}\t{c.channel}\t{c.status}\t{c.send_at or ''}")


def _plan(campaign: str, workspace: str | None, limit: int | None) -> Any:
    from fanlens.db.engine import unit_of_work
    from fanlens.outreach import service

    with unit_of_work() as session:
        ws = named_workspace(session, workspace).id
        found = service.get_campaign(session=session, workspace_id=ws, ref=campaign)
        return service.plan(session=session, workspace_id=ws, campaign=found, limit=limit)


def _show_plan(plan: Any, as_json: bool) -> None:
    if as_json:
        return _print_json(plan.model_dump(mode="json"))
    print(f"# {len(plan.messages)} message(s), {len(plan.left_out)} left out")
    if plan.quiet_until:
        print(f"# quiet hours: sending starts {plan.quiet_until}")
    for m in plan.messages:
        note = f"  [{m.note}]" if m.note else ""
        print(f"--- to {m.name} <{m.address}> ({m.person_id}){note}")
        if m.subject:
            print(f"Subject: {m.subject}")
        print(m.body)
    for lo in plan.left_out:
        print(f"left out\t{lo.person_id}\t{lo.name}\t{lo.reason}")


@campaigns_app.command("preview")
@friendly_errors
def campaign_preview(
    campaign: str,
    limit: Annotated[int, typer.Option(help="Messages and left-outs shown.")] = 10,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """The first messages as they would be sent, and the first people left out (why)."""
    _show_plan(_plan(campaign, workspace, limit), as_json)


@campaigns_app.command("dry-run")
@friendly_errors
def campaign_dry_run(
    campaign: str,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Every message and every person left out with the reason; nothing is sent or stored."""
    _show_plan(_plan(campaign, workspace, None), as_json)


@campaigns_app.command("send")
@friendly_errors
def campaign_send(
    campaign: str,
    at: Annotated[
        datetime | None,
        typer.Option(help="Send at this time (UTC, e.g. 2026-12-01T09:00:00); default now."),
    ] = None,
    inline: Annotated[bool, typer.Option(help="Deliver in this process (no worker).")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Write the outbox and queue delivery (a worker sends; --inline sends here)."""
    from datetime import UTC

    from fanlens.db.engine import unit_of_work
    from fanlens.outreach import service

    when = at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at
    with unit_of_work() as session:
        ws = named_workspace(session, workspace).id
        found = service.schedule(session=session, workspace_id=ws, ref=campaign, at=when)
        counts = service.status(session=session, workspace_id=ws, ref=str(found.id)).counts
    print(f"campaign {found.name}: {counts.get('queued', 0)} queued, "
          f"{counts.get('skipped', 0)} skipped")  # fmt: skip
    _deliver_or_enqueue(found.id, when, inline)


def _deliver_or_enqueue(campaign_id: uuid.UUID, at: datetime | None, inline: bool) -> None:
    from fanlens.outreach import delivery

    if inline:
        result = delivery.deliver_until_idle(campaign_id)
        print(f"sent {result.sent}, failed {result.failed}, skipped {result.skipped}"
              + (f"; the rest is due {result.next_at}" if result.next_at else ""))  # fmt: skip
    elif delivery.enqueue(campaign_id, at=at):
        print("delivery queued for the worker (`fanlens worker`)")
    else:
        print("no job queue here: run `fanlens outreach campaigns resume --inline`")


@campaigns_app.command("resume")
@friendly_errors
def campaign_resume(
    campaign: str,
    inline: Annotated[bool, typer.Option(help="Deliver in this process (no worker).")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Deliver what is due (after a crash, or without a worker)."""
    from fanlens.db.engine import unit_of_work
    from fanlens.outreach import service

    with unit_of_work() as session:
        found = service.get_campaign(
            session=session, workspace_id=named_workspace(session, workspace).id, ref=campaign
        )
    _deliver_or_enqueue(found.id, None, inline)


@campaigns_app.command("status")
@friendly_errors
def campaign_status(
    campaign: str,
    only: Annotated[str | None, typer.Option("--status", help="Only recipients so.")] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Counts per status, then each recipient: person, status, reason, attempts, address."""
    from fanlens.db.engine import unit_of_work
    from fanlens.outreach import service

    with unit_of_work() as session:
        found = service.status(
            session=session, workspace_id=named_workspace(session, workspace).id, ref=campaign,
            recipient_status=only,
        )  # fmt: skip
    c = found.campaign
    print(f"# {c.name} ({c.channel}) {c.status}: " +
          ", ".join(f"{k} {v}" for k, v in sorted(found.counts.items())))  # fmt: skip
    for r in found.recipients:
        print(f"{r.person_id}\t{r.status}\t{r.reason or ''}\t{r.attempts}\t{r.address or ''}")


@campaigns_app.command("export")
@friendly_errors
def campaign_export(
    campaign: str,
    output: Annotated[Path | None, typer.Option(help="CSV file (default: stdout).")] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """The campaign's messages as CSV, for sending by hand (any channel)."""
    from fanlens.db.engine import unit_of_work
    from fanlens.outreach import export

    with unit_of_work() as session:
        rows = export.rows(
            session=session, workspace_id=named_workspace(session, workspace).id, ref=campaign
        )
    out = output.open("w", newline="", encoding="utf-8") if output else sys.stdout
    write_rows(out, export.FIELDS, rows)  # cells escaped against formula injection
    if output:
        out.close()
        print(f"wrote {len(rows)} row(s) to {output}")


@campaigns_app.command("log")
@friendly_errors
def campaign_log(
    campaign: str,
    limit: Annotated[int, typer.Option()] = 1000,
    workspace: WorkspaceOption = None,
) -> None:
    """The audit log: every event of every message (time, recipient, event, detail)."""
    from fanlens.db.engine import unit_of_work
    from fanlens.outreach import repository, service

    with unit_of_work() as session:
        found = service.get_campaign(
            session=session, workspace_id=named_workspace(session, workspace).id, ref=campaign
        )
        events = repository.events(session, campaign_id=found.id, limit=limit)
        lines = [f"{e.at}\t{e.recipient_id or ''}\t{e.event}\t{json.dumps(e.detail)}"
                 for e in events]  # fmt: skip
    print("\n".join(lines))


@outreach_app.command("opt-out")
@friendly_errors
def opt_out(
    person_id: uuid.UUID,
    channel: Annotated[str, typer.Option(help="A channel, or * for all.")] = "*",
    reason: Annotated[str | None, typer.Option()] = None,
    remove: Annotated[bool, typer.Option(help="Lift the opt-out instead.")] = False,
    by: Annotated[str, typer.Option()] = "cli",
    workspace: WorkspaceOption = None,
) -> None:
    """Do not contact a person (on one channel or all); --remove lifts it."""
    from fanlens.db.engine import unit_of_work
    from fanlens.outreach import service

    with unit_of_work() as session:
        ws = named_workspace(session, workspace).id
        if remove:
            gone = service.remove_opt_out(
                session=session, workspace_id=ws, person_id=person_id, channel=channel
            )
            print("opt-out lifted" if gone else "no such opt-out")
            return
        service.opt_out(session=session, workspace_id=ws, person_id=person_id, channel=channel,
                        reason=reason, by=by)  # fmt: skip
    print(f"person {person_id} opted out of {channel}")


@outreach_app.command("address")
@friendly_errors
def address(person_id: uuid.UUID, email: str, workspace: WorkspaceOption = None) -> None:
    """Set a person's e-mail address by hand (it wins over one found in their profiles)."""
    from fanlens.db.engine import unit_of_work
    from fanlens.outreach import service

    with unit_of_work() as session:
        service.set_address(
            session=session,
            workspace_id=named_workspace(session, workspace).id,
            person_id=person_id,
            email=email,
        )
    print(f"person {person_id}: {email}")


def _quiet(value: str) -> tuple[time | None, time | None]:
    if value in ("", "off", "none"):
        return None, None
    try:
        start, end = value.split("-")
        return time.fromisoformat(start), time.fromisoformat(end)
    except ValueError as exc:
        raise InvalidInput("--quiet is HH:MM-HH:MM (or off)") from exc


@outreach_app.command("settings")
@friendly_errors
def outreach_settings(
    time_zone: Annotated[str | None, typer.Option(help="IANA zone, e.g. Europe/Paris.")] = None,
    quiet: Annotated[str | None, typer.Option(help="HH:MM-HH:MM local, or off.")] = None,
    cooldown_days: Annotated[int | None, typer.Option()] = None,
    skip_negative: Annotated[bool | None, typer.Option("--skip-negative/--allow-negative")] = None,
    negative_days: Annotated[int | None, typer.Option()] = None,
    negative_share: Annotated[float | None, typer.Option()] = None,
    daily_cap: Annotated[list[str] | None, typer.Option(help="CHANNEL=N (N<0 removes).")] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Show or change the workspace's guards (time zone, quiet hours, cooldown, caps)."""
    from pydantic import ValidationError

    from fanlens.db.engine import unit_of_work
    from fanlens.outreach import service
    from fanlens.outreach.schemas import SettingsIn, SettingsOut

    changes: dict[str, Any] = {
        k: v for k, v in {"time_zone": time_zone, "cooldown_days": cooldown_days,
                          "skip_negative": skip_negative, "negative_days": negative_days,
                          "negative_share": negative_share}.items() if v is not None
    }  # fmt: skip
    if quiet is not None:
        changes["quiet_start"], changes["quiet_end"] = _quiet(quiet)
    with unit_of_work() as session:
        ws = named_workspace(session, workspace).id
        if daily_cap:
            caps = dict(service.settings_of(session=session, workspace_id=ws).daily_caps)
            for item in daily_cap:
                name, _, n = item.partition("=")
                caps.pop(name, None) if int(n) < 0 else caps.update({name: int(n)})
            changes["daily_caps"] = caps
        try:
            data = SettingsIn(**changes)
        except ValidationError as exc:
            raise InvalidInput(str(exc)) from exc
        row = service.update_settings(session=session, workspace_id=ws, changes=data)
        _print_json(SettingsOut.model_validate(row).model_dump(mode="json"))
