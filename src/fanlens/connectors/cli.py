"""`fanlens account …` and `fanlens sync`: connect channels and pull their data."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn
from rich.table import Table

from fanlens.kit.cli import console, err_console, friendly_errors
from fanlens.workspaces.cli import named_workspace

account_app = typer.Typer(
    help="Connected accounts (YouTube, Bluesky, Mastodon, Instagram, TikTok).", no_args_is_help=True
)
add_app = typer.Typer(help="Connect an account.", no_args_is_help=True)
account_app.add_typer(add_app, name="add")
app = typer.Typer()
app.add_typer(account_app, name="account")

Workspace = Annotated[
    str | None, typer.Option(help="Workspace name (default: FANLENS_DEFAULT_WORKSPACE).")
]
Username = Annotated[str | None, typer.Option(help="The account's @username.")]


def _add(workspace: str | None, **fields: Any) -> None:
    from fanlens.connectors import service
    from fanlens.db.engine import unit_of_work

    with unit_of_work() as session:
        ws = named_workspace(session, workspace)
        if fields.get("platform") == "mastodon":
            fields.pop("platform")
            account = service.add_mastodon(session=session, workspace_id=ws.id, **fields)
        else:
            account = service.add(session=session, workspace_id=ws.id, **fields)
        console.print(f"connected {account.platform} {account.external_id} ({account.id})")


def _named(external_id: str, username: str | None) -> dict[str, str]:
    """An account known by its platform id, shown by its @username when one is given."""
    return {"handle": (username or external_id).lstrip("@"), "external_id": external_id}


@add_app.command("youtube")
@friendly_errors
def add_youtube(
    channel_id: Annotated[str, typer.Option(help="The channel id (UC…).")],
    api_key: Annotated[str, typer.Option(help="A YouTube Data API v3 key (stored encrypted).")],
    workspace: Workspace = None,
) -> None:
    """Connect a YouTube channel (public data, read with an API key)."""
    _add(workspace, platform="youtube", handle=channel_id, credentials={"api_key": api_key})


@add_app.command("bluesky")
@friendly_errors
def add_bluesky(
    handle: Annotated[str, typer.Option(help="The handle (name.bsky.social) or DID.")],
    app_password: Annotated[
        str | None,
        typer.Option(help="An app password (stored encrypted): needed only for bluesky_reply."),
    ] = None,
    workspace: Workspace = None,
) -> None:
    """Connect a Bluesky account (public data; an app password adds outreach replies)."""
    _add(
        workspace,
        platform="bluesky",
        handle=handle.lstrip("@"),
        credentials={"app_password": app_password},
    )


@add_app.command("mastodon")
@friendly_errors
def add_mastodon(
    instance: Annotated[str, typer.Option(help="The instance URL, e.g. https://mastodon.social.")],
    username: Annotated[str, typer.Option(help="The account's username on that instance.")],
    token: Annotated[
        str | None,
        typer.Option(help="Access token with read scope: exact like/boost/follow times."),
    ] = None,
    workspace: Workspace = None,
) -> None:
    """Connect a Mastodon account (public data; a token adds notifications)."""
    _add(workspace, platform="mastodon", instance=instance, username=username, token=token)


@add_app.command("instagram")
@friendly_errors
def add_instagram(
    user_id: Annotated[str, typer.Option(help="The Instagram professional account id (1784…).")],
    token: Annotated[
        str, typer.Option(help="A long-lived Instagram user access token (stored encrypted).")
    ],
    username: Username = None,
    workspace: Workspace = None,
) -> None:
    """Connect an Instagram Business/Creator account (the token is refreshed automatically)."""
    credentials = {"access_token": token}
    _add(workspace, platform="instagram", credentials=credentials, **_named(user_id, username))


@add_app.command("tiktok")
@friendly_errors
def add_tiktok(
    open_id: Annotated[str, typer.Option(help="The account's open_id (its Business API id).")],
    access_token: Annotated[str, typer.Option(help="OAuth access token (stored encrypted).")],
    refresh_token: Annotated[str, typer.Option(help="OAuth refresh token (stored encrypted).")],
    client_key: Annotated[str, typer.Option(help="Your TikTok app's client key.")],
    client_secret: Annotated[
        str, typer.Option(help="Your TikTok app's client secret (stored encrypted).")
    ],
    username: Username = None,
    workspace: Workspace = None,
) -> None:
    """Connect a TikTok account (videos via the Display API, comments via the Business API)."""
    _add(
        workspace,
        platform="tiktok",
        **_named(open_id, username),
        credentials={
            "access_token": access_token,
            "refresh_token": refresh_token,
            "client_key": client_key,
            "client_secret": client_secret,
        },
    )


@account_app.command("list")
@friendly_errors
def account_list() -> None:
    """List connected accounts, their status and last sync."""
    from fanlens.connectors import repository
    from fanlens.db.engine import unit_of_work

    with unit_of_work() as session:
        accounts = repository.list_accounts(session)
        runs = repository.last_runs(session, [a.id for a in accounts])
        # Tab-separated lines, like `workspace list`: readable, and never wrapped for scripts.
        console.print("id\tplatform\taccount\tname\tstatus\tlast sync\tlast error")
        for a in accounts:
            run = runs.get(a.id)
            last = f"{run.started_at:%Y-%m-%d %H:%M} {run.status}" if run else "never"
            fields = [str(a.id), a.platform, a.external_id, a.display_name or "", a.status, last]
            console.print("\t".join([*fields, a.last_error or ""]), markup=False)


@account_app.command("keygen")
@friendly_errors
def account_keygen() -> None:
    """Print a new key for FANLENS_SECRET_KEY (encrypts account credentials)."""
    from fanlens.connectors.credentials import generate_key

    console.print(generate_key())


@app.command("sync")
@friendly_errors
def sync_command(
    account: Annotated[
        str | None, typer.Option(help="Account id (default: every active account).")
    ] = None,
    full: Annotated[
        bool, typer.Option("--full", help="Re-read everything, not only what is new.")
    ] = False,
) -> None:
    """Pull new posts, followers and interactions from connected accounts."""
    from fanlens.connectors import repository
    from fanlens.db.engine import unit_of_work

    with unit_of_work() as session:
        if account:
            ids = [_parse_id(account)]
        else:
            ids = [a.id for a in repository.list_accounts(session) if a.status == "active"]
    if not ids:
        console.print("no active accounts; connect one with `fanlens account add`")
        return
    failed = sum(not _sync_one(account_id, full) for account_id in ids)
    if failed:
        raise typer.Exit(1)


def _sync_one(account_id: uuid.UUID, full: bool) -> bool:
    from fanlens.connectors.sync import sync_account

    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), console=console, transient=False
    ) as bar:
        tasks: dict[str, Any] = {}

        def progress(stream: str, items: int) -> None:
            if stream not in tasks:
                tasks[stream] = bar.add_task(stream, total=None, count=0)
            task = tasks[stream]
            done = bar.tasks[task].fields["count"] + items
            bar.update(task, count=done, description=f"{stream}: {done:,} items")

        result = sync_account(account_id=account_id, full=full, progress=progress)
    _summary(result)
    return result.status == "succeeded"


def _summary(result: Any) -> None:
    table = Table("stream", "items")
    for stream, count in result.items.items():
        table.add_row(stream, f"{count:,}")
    console.print(table)
    console.print(
        f"account {result.account_id}: {result.status} — {result.inserted:,} new interactions, "
        f"{result.reject_count} rejected, {result.api_calls} API calls, "
        f"{result.quota_used} quota units"
    )
    if result.message:
        err_console.print(f"[red]{result.status}:[/red] {result.message}")
    for reject in result.rejects[:10]:
        err_console.print(f"rejected {reject.stream} item: {reject.error}")


def check_live_settings() -> None:
    """Exit 2 with the message when a live source's setting is wrong (before anything runs)."""
    from fanlens.connectors import listen
    from fanlens.connectors.live import SettingError

    try:
        listen.check_settings()
    except SettingError as exc:
        err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None


def _parse_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise typer.BadParameter(
            f"{value!r} is not an account id (see `fanlens account list`)"
        ) from exc


@app.command("listen")
@friendly_errors
def listen_command(
    account: Annotated[
        str | None, typer.Option(help="Account id (default: every active account).")
    ] = None,
) -> None:
    """Keep the accounts' live connections open in the foreground, a line per event stored."""
    import threading

    from fanlens.connectors import listen
    from fanlens.connectors.live import LiveEvent, describe
    from fanlens.db.engine import get_engine

    def show(event: LiveEvent) -> None:
        console.print(describe(event), markup=False, highlight=False, soft_wrap=True)

    account_id = _parse_id(account) if account else None
    check_live_settings()
    live = listen.runners(get_engine(), account_id=account_id, on_event=show)
    if not live:
        console.print(
            "no account has a live source; set FANLENS_BLUESKY_STREAM_URL for Bluesky "
            "(other platforms are polled)"
        )
        raise typer.Exit(1 if account_id else 0)
    stop = threading.Event()
    threads = listen.start(live, stop)
    console.print(f"listening on {len(live)} account(s); Ctrl-C stops")
    try:
        while any(t.is_alive() for t in threads):
            stop.wait(1)
    except KeyboardInterrupt:
        stop.set()
    for thread in threads:
        thread.join(timeout=5)
