"""`fanlens token …`: a workspace's API tokens."""

from __future__ import annotations

from typing import Annotated

import typer

from fanlens.kit.cli import console, friendly_errors
from fanlens.workspaces.cli import named_workspace

app = typer.Typer()
token_app = typer.Typer(help="API tokens: bearer tokens of one workspace.", no_args_is_help=True)
app.add_typer(token_app, name="token")


@token_app.command("create")
@friendly_errors
def token_create(
    workspace: Annotated[str | None, typer.Option(help="Workspace name.")] = None,
    scope: Annotated[str, typer.Option(help="read or write.")] = "read",
    name: Annotated[str, typer.Option(help="A label for humans.")] = "api",
) -> None:
    """Create an API token; the token is printed once, alone on the last line."""
    from fanlens.auth import service
    from fanlens.db.engine import unit_of_work

    with unit_of_work() as session:
        ws = named_workspace(session, workspace)
        issued = service.create(session=session, workspace_id=ws.id, name=name, scope=scope)
    console.print(
        f"created {issued.token.scope} token {issued.token.id} for workspace {ws.name}; "
        "it is shown only now:"
    )
    print(issued.secret)


@token_app.command("revoke")
@friendly_errors
def token_revoke(token_id: Annotated[str, typer.Argument(help="The token's id.")]) -> None:
    """Revoke an API token (it stops working at once)."""
    import uuid

    from fanlens.auth import service
    from fanlens.db.engine import unit_of_work
    from fanlens.kit.errors import InvalidInput

    try:
        parsed = uuid.UUID(token_id)
    except ValueError as exc:
        raise InvalidInput(f"{token_id!r} is not a token id") from exc
    with unit_of_work() as session:
        token = service.revoke(session=session, token_id=parsed)
        console.print(f"revoked token {token.id} ({token.name})")


@token_app.command("list")
@friendly_errors
def token_list(
    workspace: Annotated[str | None, typer.Option(help="Only this workspace's tokens.")] = None,
) -> None:
    """List API tokens (never their secrets)."""
    from fanlens.auth import repository
    from fanlens.db.engine import unit_of_work
    from fanlens.workspaces import repository as workspace_repository
    from fanlens.workspaces import service as workspace_service

    with unit_of_work() as session:
        names = {w.id: w.name for w in workspace_repository.list_all(session)}
        ws_id = (
            workspace_service.get_by_name_or_raise(session=session, name=workspace).id
            if workspace
            else None
        )
        # One tab-separated line per token (scriptable, never truncated); secrets are not kept.
        print("id\tworkspace\tname\tscope\tprefix\tcreated\tlast_used\tstate")
        for t in repository.list_all(session, ws_id):
            used = f"{t.last_used_at:%Y-%m-%dT%H:%M}" if t.last_used_at else "never"
            state = "revoked" if t.revoked_at else "active"
            print(
                f"{t.id}\t{names.get(t.workspace_id, '?')}\t{t.name}\t{t.scope}\t"
                f"{t.token_prefix}…\t{t.created_at:%Y-%m-%dT%H:%M}\t{used}\t{state}"
            )
