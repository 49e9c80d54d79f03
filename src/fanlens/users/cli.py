"""`fanlens user …`: dashboard logins."""

from __future__ import annotations

from typing import Annotated

import typer

from fanlens.kit.cli import console, friendly_errors
from fanlens.workspaces.cli import named_workspace

app = typer.Typer()
user_app = typer.Typer(help="Dashboard users: each logs in to one workspace.", no_args_is_help=True)
app.add_typer(user_app, name="user")


@user_app.command("create")
@friendly_errors
def user_create(
    username: Annotated[str, typer.Argument(help="Login name (case-insensitive).")],
    workspace: Annotated[str | None, typer.Option(help="Workspace the user sees.")] = None,
    scope: Annotated[
        str, typer.Option(help="write (use the pages' buttons too) or read (look only).")
    ] = "write",
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            help="At least 8 characters; asked for when not given (or read from stdin).",
        ),
    ] = "",
) -> None:
    """Create a dashboard login for one workspace (the password is stored scrypt-hashed)."""
    from fanlens.db.engine import unit_of_work
    from fanlens.users import service

    with unit_of_work() as session:
        ws = named_workspace(session, workspace)
        user = service.create(
            session=session, workspace_id=ws.id, username=username, password=password, scope=scope
        )
        console.print(f"created user {user.username} ({user.scope}) in workspace {ws.name}")


@user_app.command("list")
@friendly_errors
def user_list() -> None:
    """List dashboard users (username, workspace, scope, last login), tab-separated."""
    from fanlens.db.engine import unit_of_work
    from fanlens.users import repository
    from fanlens.workspaces import repository as workspace_repository

    with unit_of_work() as session:
        names = {w.id: w.name for w in workspace_repository.list_all(session)}
        print("username\tworkspace\tscope\tlast_login")
        for u in repository.list_all(session):
            last = f"{u.last_login_at:%Y-%m-%dT%H:%M}" if u.last_login_at else "never"
            print(f"{u.username}\t{names.get(u.workspace_id, '?')}\t{u.scope}\t{last}")


@user_app.command("password")
@friendly_errors
def user_password(
    username: Annotated[str, typer.Argument(help="The user's login name.")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            help="The new password (at least 8 characters); asked for when not given.",
        ),
    ] = "",
) -> None:
    """Set a user's password; every dashboard session of the user ends."""
    from fanlens.db.engine import unit_of_work
    from fanlens.users import service

    with unit_of_work() as session:
        user = service.set_password(session=session, username=username, password=password)
        console.print(f"password of {user.username} changed; their sessions are ended")


@user_app.command("logout-all")
@friendly_errors
def user_logout_all(
    username: Annotated[str, typer.Argument(help="The user's login name.")],
) -> None:
    """End every dashboard session of a user (each browser must log in again)."""
    from fanlens.db.engine import unit_of_work
    from fanlens.users import service

    with unit_of_work() as session:
        ended = service.logout_all(session=session, username=username)
        console.print(f"ended {ended} session(s) of {service.normalize(username)}")


@user_app.command("scope")
@friendly_errors
def user_scope(
    username: Annotated[str, typer.Argument(help="The user's login name.")],
    scope: Annotated[str, typer.Argument(help="write or read.")],
) -> None:
    """Let a user use the pages' buttons (write) or only look (read), from their next page."""
    from fanlens.db.engine import unit_of_work
    from fanlens.users import service

    with unit_of_work() as session:
        user = service.set_scope(session=session, username=username, scope=scope)
        console.print(f"{user.username} now has {user.scope} access")
