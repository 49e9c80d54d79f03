"""`fanlens workspace …`: create and list workspaces; the workspace a command names."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from fanlens.config import settings
from fanlens.kit.cli import console, friendly_errors

if TYPE_CHECKING:
    from fanlens.workspaces.models import Workspace

app = typer.Typer()
workspace_app = typer.Typer(help="Workspaces: one per creator or brand.", no_args_is_help=True)
app.add_typer(workspace_app, name="workspace")


@workspace_app.command("create")
@friendly_errors
def workspace_create(name: str) -> None:
    """Create a workspace."""
    from fanlens.db.engine import unit_of_work
    from fanlens.workspaces import service

    with unit_of_work() as session:
        workspace = service.create(session=session, name=name)
        console.print(f"created workspace {workspace.name} ({workspace.id})")


@workspace_app.command("list")
@friendly_errors
def workspace_list() -> None:
    """List workspaces."""
    from fanlens.db.engine import unit_of_work
    from fanlens.workspaces import repository

    with unit_of_work() as session:
        for workspace in repository.list_all(session):
            console.print(f"{workspace.name}\t{workspace.id}")


def named_workspace(session: Any, name: str | None) -> Workspace:
    """The workspace named by --workspace, or the default workspace (the setting)."""
    from fanlens.workspaces import service

    return service.get_by_name_or_raise(session=session, name=name or settings.default_workspace)
