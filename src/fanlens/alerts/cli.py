"""`fanlens alerts …`: weekly engagement drops."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from fanlens.kit.cli import WorkspaceOption, console, friendly_errors
from fanlens.workspaces.cli import named_workspace

app = typer.Typer()
alerts_app = typer.Typer(help="Engagement-drop alerts.", no_args_is_help=True)
app.add_typer(alerts_app, name="alerts")


@alerts_app.command("check")
@friendly_errors
def alerts_check(
    now: Annotated[
        str | None, typer.Option(help="Pretend it is this date (checks the week before its week).")
    ] = None,
    workspace: Annotated[
        str | None, typer.Option("--workspace", "-w", help="Only this workspace (default: all).")
    ] = None,
) -> None:
    """Compare last week's interactions per platform with the four weeks before it."""
    from fanlens.alerts.runner import check_all
    from fanlens.kit.timeutil import parse_rfc3339

    when = parse_rfc3339(now if "T" in now else f"{now}T12:00:00Z") if now else None
    summary = check_all(now=when, workspace_name=workspace)
    console.print(
        f"week of {summary.week}: {summary.workspaces} workspace(s) checked, "
        f"{summary.alerts} new alert(s), {summary.notified} sent to the webhook"
    )


@alerts_app.command("list")
@friendly_errors
def alerts_list(workspace: WorkspaceOption = None) -> None:
    """The latest engagement-drop alerts of a workspace."""
    from fanlens.alerts import service
    from fanlens.db.engine import unit_of_work

    with unit_of_work() as session:
        alerts = service.list_alerts(
            session=session, workspace_id=named_workspace(session, workspace).id
        )
    table = Table("week", "platform", "interactions", "4-week mean", "drop", "notified")
    for a in alerts:
        table.add_row(
            str(a.week),
            a.platform,
            str(a.current_value),
            f"{a.trailing_mean:.1f}",
            f"{a.drop_share * 100:.0f}%",
            f"{a.notified_at:%Y-%m-%d %H:%M}" if a.notified_at else "-",
        )
    console.print(table)
