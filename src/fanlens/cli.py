"""The `fanlens` command line."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from fanlens.config import settings
from fanlens.kit import logging as kit_logging
from fanlens.kit.errors import FanlensError

app = typer.Typer(
    help="fanlens: cross-platform content and fan analytics.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(help="Database: migrate and inspect.", no_args_is_help=True)
workspace_app = typer.Typer(help="Workspaces: one per creator or brand.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(workspace_app, name="workspace")
token_app = typer.Typer(help="API tokens: bearer tokens of one workspace.", no_args_is_help=True)
app.add_typer(token_app, name="token")

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)
F = TypeVar("F", bound=Callable[..., Any])


def friendly_errors(func: F) -> F:
    """Domain errors become a clear message and exit code 1 instead of a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except FanlensError as exc:
            err_console.print(f"[red]error:[/red] {exc.message}")
            raise typer.Exit(1) from exc

    return wrapper  # type: ignore[return-value]


@app.callback()
def main() -> None:
    kit_logging.setup(settings.log_level)


@db_app.command("upgrade")
@friendly_errors
def db_upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Create or migrate the schema to the latest revision."""
    from fanlens.db import migrate
    from fanlens.db.engine import describe_location, get_engine

    console.print(f"database: {describe_location()}")
    migrate.upgrade(get_engine(), revision)
    console.print(f"schema at revision {migrate.current_revision(get_engine())}")


@db_app.command("downgrade")
@friendly_errors
def db_downgrade(revision: str = typer.Argument(..., help="Target revision, or 'base'.")) -> None:
    """Migrate the schema back to an earlier revision ('base' removes it)."""
    from fanlens.db import migrate
    from fanlens.db.engine import get_engine

    migrate.downgrade(get_engine(), revision)
    console.print(f"schema at revision {migrate.current_revision(get_engine())}")


@db_app.command("status")
@friendly_errors
def db_status() -> None:
    """Show where the data lives, the schema revision and row counts."""
    from fanlens.db.engine import describe_location, get_engine
    from fanlens.db.status import read_status

    status = read_status(get_engine())
    console.print(f"database: {describe_location()}")
    console.print(f"PostgreSQL {status.server_version}")
    state = "up to date" if status.up_to_date else f"behind (head is {status.head})"
    console.print(f"revision: {status.revision or 'none (run `fanlens db upgrade`)'} — {state}")
    if status.row_counts:
        table = Table("table", "rows")
        for name, count in status.row_counts.items():
            table.add_row(name, f"{count:,}")
        console.print(table)


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
    from fanlens.workspaces import service as workspace_service

    with unit_of_work() as session:
        ws = workspace_service.get_by_name_or_raise(
            session=session, name=workspace or settings.default_workspace
        )
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


@app.command("serve")
@friendly_errors
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address.")] = None,
    port: Annotated[int | None, typer.Option(help="Port.")] = None,
    migrate_first: Annotated[
        bool, typer.Option("--migrate/--no-migrate", help="Upgrade the schema first.")
    ] = True,
) -> None:
    """Serve the API and dashboard."""
    import uvicorn

    from fanlens.api.app import create_app
    from fanlens.db import migrate
    from fanlens.db.engine import describe_location, get_engine

    console.print(f"database: {describe_location()}")
    if migrate_first:
        migrate.upgrade(get_engine())
    bind_host, bind_port = host or settings.host, port or settings.port
    console.print(f"serving on http://{bind_host}:{bind_port}")
    sys.stdout.flush()
    uvicorn.run(create_app(), host=bind_host, port=bind_port, log_level="warning")


@app.command("generate")
@friendly_errors
def generate(
    size: Annotated[
        str, typer.Option(help="tiny, small, medium (~5 M interactions) or large.")
    ] = "small",
    seed: Annotated[int, typer.Option(help="Same seed, same world.")] = 0,
    output: Annotated[str, typer.Option("--output", "-o", help="File, or - for stdout.")] = "-",
) -> None:
    """Write a synthetic world as interchange JSONL (.gz compresses)."""
    from fanlens.interactions.generate import generate_world
    from fanlens.kit.files import open_text_for_write

    try:
        world = generate_world(size, seed)
    except ValueError as exc:
        raise FanlensError(str(exc)) from exc
    with open_text_for_write(output) as out:
        for line in world.jsonl_lines():
            out.write(line)
            out.write("\n")


@app.command("import")
@friendly_errors
def import_(
    paths: Annotated[
        list[str], typer.Argument(help="JSONL files (.jsonl.gz too), or - for stdin.")
    ],
    workspace: Annotated[str | None, typer.Option(help="Workspace name.")] = None,
    rejects: Annotated[
        str | None, typer.Option(help="Also write rejected lines here (JSONL).")
    ] = None,
    batch_size: Annotated[int | None, typer.Option(help="Lines per transaction.")] = None,
) -> None:
    """Import interchange-format JSONL; re-importing the same data adds nothing."""
    from fanlens.interactions.importer import run_import

    summary = run_import(
        paths,
        workspace=workspace or settings.default_workspace,
        rejects_path=rejects,
        batch_size=batch_size or settings.ingest_batch_size,
        console=console,
    )
    if summary is None:
        raise typer.Exit(2)


@app.command("simulate")
@friendly_errors
def simulate(
    platform: Annotated[str, typer.Argument(help="youtube, bluesky or mastodon.")],
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8700,
    host: Annotated[str, typer.Option(help="Bind address.")] = "127.0.0.1",
    world_size: Annotated[
        str, typer.Option("--world-size", help="tiny, small or medium synthetic world.")
    ] = "tiny",
    seed: Annotated[int, typer.Option(help="Same seed, same world.")] = 0,
) -> None:
    """Serve a local simulator of a platform's API, backed by a synthetic world."""
    from fanlens.simulators.run import SIMULATORS, base_url_for, serve, world_records

    if platform not in SIMULATORS:
        raise FanlensError(f"no simulator for {platform!r}; choose one of {', '.join(SIMULATORS)}")
    if world_size not in ("tiny", "small", "medium"):
        raise FanlensError("--world-size must be tiny, small or medium")
    records = world_records(world_size, seed, platform)
    root = f"http://{host}:{port}"
    console.print(f"{platform} simulator: {len(records):,} records of the {world_size} world")
    console.print(f"API base {base_url_for(platform, root)}  (control: {root}/_sim/state)")
    sys.stdout.flush()
    serve(platform, records, host, port)


def _register_connectors() -> None:
    # Imported last: fanlens.connectors.cli uses friendly_errors from this module.
    from fanlens.connectors.cli import account_app, sync_command

    app.add_typer(account_app, name="account")
    app.command("sync")(friendly_errors(sync_command))


_register_connectors()
