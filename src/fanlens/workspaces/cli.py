"""`fanlens workspace …`: create and list workspaces; the workspace a command names."""

from __future__ import annotations

import uuid
from typing import Any

import typer

from fanlens.config import settings
from fanlens.kit.cli import console, friendly_errors

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


def workspace_id(session: Any, name: str | None) -> uuid.UUID:
    """The id of the workspace named by --workspace, or of the default workspace (the setting)."""
    from fanlens.workspaces import service

    return service.get_by_name_or_raise(session=session, name=name or settings.default_workspace).id
