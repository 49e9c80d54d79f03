"""The `fanlens` command line."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from rich.table import Table

from fanlens.config import settings
from fanlens.kit import logging as kit_logging
from fanlens.kit.cli import WorkspaceOption, console, friendly_errors
from fanlens.kit.errors import FanlensError

app = typer.Typer(
    help="fanlens: cross-platform content and fan analytics.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(help="Database: migrate and inspect.", no_args_is_help=True)
workspace_app = typer.Typer(help="Workspaces: one per creator or brand.", no_args_is_help=True)
score_app = typer.Typer(help="Rescore followers; explain a score.")
scoring_app = typer.Typer(help="Scoring rules: weights, tiers, recency.", no_args_is_help=True)
alerts_app = typer.Typer(help="Engagement-drop alerts.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(workspace_app, name="workspace")
token_app = typer.Typer(help="API tokens: bearer tokens of one workspace.", no_args_is_help=True)
app.add_typer(token_app, name="token")
user_app = typer.Typer(help="Dashboard users: each logs in to one workspace.", no_args_is_help=True)
app.add_typer(user_app, name="user")


app.add_typer(score_app, name="score")
app.add_typer(scoring_app, name="scoring")
app.add_typer(alerts_app, name="alerts")


@app.callback()
def main() -> None:
    kit_logging.setup(settings.log_level)


@db_app.command("upgrade")
@friendly_errors
def db_upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Create or migrate the schema to the latest revision."""
    from fanlens.db import migrate
    from fanlens.db.engine import describe_location, get_engine
    from fanlens.db.queue import ensure_schema

    console.print(f"database: {describe_location()}")
    migrate.upgrade(get_engine(), revision)
    console.print(f"schema at revision {migrate.current_revision(get_engine())}")
    if revision == "head":
        applied = ensure_schema()
        console.print("job queue schema " + ("created" if applied else "present"))


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


@user_app.command("create")
@friendly_errors
def user_create(
    username: Annotated[str, typer.Argument(help="Login name (case-insensitive).")],
    workspace: Annotated[str | None, typer.Option(help="Workspace the user sees.")] = None,
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
    from fanlens.workspaces import service as workspace_service

    with unit_of_work() as session:
        ws = workspace_service.get_by_name_or_raise(
            session=session, name=workspace or settings.default_workspace
        )
        user = service.create(
            session=session, workspace_id=ws.id, username=username, password=password
        )
        console.print(f"created user {user.username} in workspace {ws.name}")


@user_app.command("list")
@friendly_errors
def user_list() -> None:
    """List dashboard users (username, workspace, last login), tab-separated."""
    from fanlens.db.engine import unit_of_work
    from fanlens.users import repository
    from fanlens.workspaces import repository as workspace_repository

    with unit_of_work() as session:
        names = {w.id: w.name for w in workspace_repository.list_all(session)}
        print("username\tworkspace\tlast_login")
        for u in repository.list_all(session):
            last = f"{u.last_login_at:%Y-%m-%dT%H:%M}" if u.last_login_at else "never"
            print(f"{u.username}\t{names.get(u.workspace_id, '?')}\t{last}")


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


DemoSize = Annotated[str, typer.Option(help="World size: tiny or small (about a minute).")]


def _demo(reset: bool, size: str) -> None:
    from fanlens.db import migrate
    from fanlens.db.engine import describe_location, get_engine
    from fanlens.db.queue import ensure_schema
    from fanlens.demo import service as demo

    if size not in ("tiny", "small"):
        raise FanlensError("--size must be tiny or small")
    console.print(f"database: {describe_location()}")
    migrate.upgrade(get_engine())
    ensure_schema()
    login = demo.run(engine=get_engine(), console=console, size=size, reset=reset)
    if login is None:
        console.print(
            f"workspace {settings.default_workspace!r} holds data of its own: no demo added "
            "(log in with a user from `fanlens user create`)"
        )
        return
    console.print(f"demo login: {login.username} / {login.password}", markup=False, highlight=False)
    console.print(f"API token (read): {login.token}", markup=False, highlight=False)


@app.command("demo")
@friendly_errors
def demo_command(
    reset: Annotated[
        bool, typer.Option("--reset", help="Delete the default workspace's data and start over.")
    ] = False,
    size: DemoSize = "small",
) -> None:
    """Fill an empty default workspace from simulated YouTube, Bluesky and Mastodon accounts."""
    _demo(reset, size)


@app.command("serve")
@friendly_errors
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address.")] = None,
    port: Annotated[int | None, typer.Option(help="Port.")] = None,
    migrate_first: Annotated[
        bool, typer.Option("--migrate/--no-migrate", help="Upgrade the schema first.")
    ] = True,
    workers: Annotated[
        int, typer.Option(min=1, help="Worker processes (each with its own connection pool).")
    ] = 1,
    job_worker: Annotated[
        bool,
        typer.Option(
            "--worker/--no-worker",
            help="Also run one job worker (sentiment, rescoring, scheduled syncs); "
            "--no-worker where `fanlens worker` runs separately.",
        ),
    ] = True,
    worker_concurrency: Annotated[
        int,
        typer.Option(
            min=1, max=32, help="Jobs the job worker runs at once (a slow sync then holds one)."
        ),
    ] = 2,
    with_demo: Annotated[
        bool, typer.Option("--demo", help="First run `fanlens demo` (only fills an empty DB).")
    ] = False,
    demo_size: DemoSize = "small",
) -> None:
    """Serve the API and dashboard, and run the background jobs and their schedule."""
    from fanlens.db import migrate
    from fanlens.db.engine import database_url, describe_location, get_engine
    from fanlens.db.queue import ensure_schema
    from fanlens.server import processes

    processes.exit_on_signals()  # from here on, so they stop the embedded server it starts
    bind_host, bind_port = host or settings.host, port or settings.port
    if with_demo:
        _demo(False, demo_size)
    else:
        console.print(f"database: {describe_location()}")
        if migrate_first:
            migrate.upgrade(get_engine())
    if job_worker or migrate_first:
        ensure_schema()  # the job queue: the worker needs it, and the API queues jobs in it
    console.print(f"serving on http://{bind_host}:{bind_port}  (dashboard: /analytics)")
    console.print("job worker: " + ("running" if job_worker else "off (--no-worker)"))
    sys.stdout.flush()
    jobs_url = database_url() if job_worker else None
    _serve(bind_host, bind_port, workers, jobs_url, worker_concurrency)


def _serve(host: str, port: int, workers: int, jobs_url: str | None, concurrency: int) -> None:
    """uvicorn in this process (one worker) or several processes, and the job worker."""
    import uvicorn

    from fanlens.jobs import process as job_process
    from fanlens.server import processes
    from fanlens.server.app import create_app

    if workers > 1 and processes.SUPPORTED:
        processes.serve(host, port, workers, jobs_url=jobs_url, job_concurrency=concurrency)
        return
    with job_process.running(jobs_url, concurrency):
        if workers == 1:
            uvicorn.run(
                create_app(), host=host, port=port, log_level="warning",
                **processes.proxy_options(),
            )  # fmt: skip
            return
        # Several processes, each importing the app itself (the GIL caps one at one core).
        uvicorn.run(
            processes.APP, factory=True, workers=workers, host=host, port=port,
            log_level="warning", **processes.proxy_options(),
        )  # fmt: skip


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
    from fanlens.demo.generate import generate_world
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
    platform: Annotated[
        str, typer.Argument(help="youtube, bluesky, mastodon, instagram or tiktok.")
    ],
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
    if platform == "tiktok":
        console.print(f"Business API base {root}/open_api/v1.3")
    sys.stdout.flush()
    serve(platform, records, host, port)


def _register_connectors() -> None:
    from fanlens.connectors.cli import account_app, sync_command

    app.add_typer(account_app, name="account")
    app.command("sync")(friendly_errors(sync_command))


_register_connectors()


def _register_sentiment() -> None:
    from fanlens.sentiment import cli as sentiment_cli

    sentiment_app = sentiment_cli.sentiment_app
    for name, func in (
        ("analyze", sentiment_cli.analyze),
        ("analyze-pending", sentiment_cli.analyze_pending),
        ("correct", sentiment_cli.correct),
        ("export-labels", sentiment_cli.export_labels),
    ):
        sentiment_app.command(name)(friendly_errors(func))
    app.add_typer(sentiment_app, name="sentiment")


_register_sentiment()


def _register_exports() -> None:
    from fanlens.exports.cli import import_export_command

    app.command("import-export")(friendly_errors(import_export_command))


_register_exports()


def _register_people() -> None:
    from fanlens.people import cli as people_cli

    people_app = people_cli.people_app
    for name, func in (
        ("suggestions", people_cli.suggestions),
        ("accept", people_cli.accept),
        ("reject", people_cli.reject),
        ("merge", people_cli.merge),
        ("unmerge", people_cli.unmerge),
        ("show", people_cli.show),
        ("top", people_cli.top),
    ):
        people_app.command(name)(friendly_errors(func))
    app.add_typer(people_app, name="people")


_register_people()


def _register_outreach() -> None:
    from fanlens.outreach.cli import outreach_app

    app.add_typer(outreach_app, name="outreach")


_register_outreach()


def _workspace_id(session: Any, name: str | None) -> Any:
    from fanlens.workspaces import service as workspace_service

    return workspace_service.get_by_name_or_raise(
        session=session, name=name or settings.default_workspace
    ).id


@score_app.callback(invoke_without_command=True)
@friendly_errors
def score(
    ctx: typer.Context,
    full: Annotated[
        bool, typer.Option("--full", help="Also rebuild the per-type counts from the log.")
    ] = False,
    workspace: Annotated[
        str | None, typer.Option("--workspace", "-w", help="Only this workspace (default: all).")
    ] = None,
) -> None:
    """Rescore every follower (of one workspace or all), one transaction per workspace."""
    if ctx.invoked_subcommand is not None:
        return
    from fanlens.scoring.runner import rescore_all

    for result in rescore_all(workspace_name=workspace, rebuild_counts=full):
        console.print(
            f"workspace {result.workspace_id}: {result.followers:,} followers rescored "
            f"under config v{result.config_version} in {result.seconds:.2f}s"
        )


@score_app.command("explain")
@friendly_errors
def score_explain(follower_id: str, workspace: WorkspaceOption = None) -> None:
    """Why a follower has their score and tier: count x weight = points, per type."""
    import uuid

    from fanlens.db.engine import unit_of_work
    from fanlens.kit.errors import InvalidInput
    from fanlens.scoring import service

    try:
        fid = uuid.UUID(follower_id)
    except ValueError as exc:
        raise InvalidInput(f"{follower_id!r} is not a follower id (a UUID)") from exc
    with unit_of_work() as session:
        why = service.explain(
            session=session, workspace_id=_workspace_id(session, workspace), follower_id=fid
        )
    console.print(
        f"{why.username or why.follower_id} on {why.platform} (config v{why.config_version})"
    )
    table = Table("interaction", "count", "counted", "weight", "points")
    for line in why.lines:
        table.add_row(
            line.interaction_type,
            str(line.count),
            f"{line.effective_count.normalize():f}",
            f"{line.weight.normalize():f}",
            f"{line.points.normalize():f}",
        )
    console.print(table)
    t = why.thresholds
    console.print(f"score {why.score.normalize():f} -> tier {why.tier}")
    console.print(f"tiers: super_fan >= {t.super_fan}, active >= {t.active}, lurker >= {t.lurker}")
    if why.next_tier and why.points_to_next_tier is not None:
        distance = why.points_to_next_tier.normalize()
        console.print(f"next tier: {why.next_tier}, {distance:f} points away")
    console.print(f"recency: {why.recency.describe()}")
    if why.stored_score is not None and why.stored_score != why.score:
        console.print(
            f"stored score {why.stored_score} (computed {why.computed_at}) is due a rescore"
        )


def _pairs(values: list[str], what: str) -> dict[str, Any]:
    from decimal import Decimal, InvalidOperation

    from fanlens.kit.errors import InvalidInput

    pairs: dict[str, Any] = {}
    for item in values:
        name, _, number = item.partition("=")
        try:
            pairs[name.strip()] = Decimal(number)
        except InvalidOperation as exc:
            raise InvalidInput(f"{what} {item!r}: expected NAME=NUMBER") from exc
    return pairs


def _print_config(config: Any) -> None:
    console.print(f"scoring config v{config.version} (since {config.created_at:%Y-%m-%d %H:%M})")
    table = Table("interaction", "weight")
    for name, weight in config.weights.items():
        table.add_row(name, f"{weight.normalize():f}")
    console.print(table)
    t = config.thresholds
    console.print(f"tiers: super_fan >= {t.super_fan}, active >= {t.active}, lurker >= {t.lurker}")
    console.print(f"recency: {config.recency.describe()}")


@scoring_app.command("show")
@friendly_errors
def scoring_show(
    workspace: WorkspaceOption = None,
    history: Annotated[bool, typer.Option("--history", help="Every version.")] = False,
) -> None:
    """Show the scoring config in force (weights, tier thresholds, recency rule)."""
    from fanlens.db.engine import unit_of_work
    from fanlens.scoring import service

    with unit_of_work() as session:
        ws = _workspace_id(session, workspace)
        configs = (
            service.list_configs(session=session, workspace_id=ws)
            if history
            else [service.get_config(session=session, workspace_id=ws)]
        )
    for config in configs:
        _print_config(config)


@scoring_app.command("set")
@friendly_errors
def scoring_set(
    weight: Annotated[list[str], typer.Option("--weight", help="TYPE=WEIGHT, repeatable.")] = [],  # noqa: B006
    tier: Annotated[
        list[str], typer.Option("--tier", help="super_fan|active|lurker=MIN_SCORE, repeatable.")
    ] = [],  # noqa: B006
    window: Annotated[float | None, typer.Option(help="Count only the last N days.")] = None,
    half_life: Annotated[float | None, typer.Option(help="Halve weights every N days.")] = None,
    no_recency: Annotated[bool, typer.Option("--no-recency", help="All-time counts.")] = False,
    reset_weights: Annotated[bool, typer.Option(help="Start from the default weights.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Record a new config version and rescore the workspace under it."""
    from decimal import Decimal

    from pydantic import ValidationError

    from fanlens.db.engine import unit_of_work
    from fanlens.kit.errors import InvalidInput
    from fanlens.scoring import service
    from fanlens.scoring.schemas import RecencyRule, ScoringConfigChange

    if sum([window is not None, half_life is not None, no_recency]) > 1:
        raise InvalidInput("choose one of --window, --half-life, --no-recency")
    tiers = _pairs(tier, "--tier")
    if set(tiers) - {"super_fan", "active", "lurker"}:
        raise InvalidInput("--tier names are super_fan, active and lurker")
    recency = None
    if window is not None:
        recency = RecencyRule(mode="window", days=Decimal(str(window)))
    elif half_life is not None:
        recency = RecencyRule(mode="half_life", days=Decimal(str(half_life)))
    elif no_recency:
        recency = RecencyRule()
    try:
        change = ScoringConfigChange(
            weights=_pairs(weight, "--weight"),
            reset_weights=reset_weights,
            recency=recency,
            **tiers,
        )
    except ValidationError as exc:
        raise InvalidInput(exc.errors()[0]["msg"]) from exc
    with unit_of_work() as session:
        config = service.update_config(
            session=session, workspace_id=_workspace_id(session, workspace), change=change
        )
    _print_config(config)
    console.print("workspace rescored")


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
            session=session, workspace_id=_workspace_id(session, workspace)
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


@app.command("worker")
@friendly_errors
def worker(
    concurrency: Annotated[int, typer.Option(help="Jobs run at once.")] = 1,
    queue: Annotated[
        list[str] | None, typer.Option("--queue", help="Only these queues (default: all).")
    ] = None,
    name: Annotated[str | None, typer.Option(help="Worker name in logs.")] = None,
) -> None:
    """Run background jobs and the schedule (account syncs, nightly rescore, weekly drop check)."""
    from fanlens.db import migrate
    from fanlens.db.engine import describe_location, get_engine
    from fanlens.db.queue import ensure_schema
    from fanlens.jobs.app import create_app

    console.print(f"database: {describe_location()}")
    migrate.upgrade(get_engine())
    ensure_schema()
    console.print("worker started")
    sys.stdout.flush()
    create_app().run_worker(queues=queue or None, concurrency=concurrency, name=name)


def _register_content_links() -> None:
    from fanlens.content import cli as content_cli

    for name, func in (
        ("suggestions", content_cli.suggestions),
        ("link", content_cli.link),
        ("unlink", content_cli.unlink),
    ):
        content_cli.content_app.command(name)(friendly_errors(func))
    app.add_typer(content_cli.content_app, name="content")


_register_content_links()
