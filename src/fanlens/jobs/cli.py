"""`fanlens worker`: run the background jobs and their schedule."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from fanlens.kit.cli import console, friendly_errors

app = typer.Typer()


@app.command("worker")
@friendly_errors
def worker(
    concurrency: Annotated[int, typer.Option(help="Jobs run at once.")] = 1,
    queue: Annotated[
        list[str] | None, typer.Option("--queue", help="Only these queues (default: all).")
    ] = None,
    name: Annotated[str | None, typer.Option(help="Worker name in logs.")] = None,
) -> None:
    """Run background jobs and the schedule (account syncs, nightly rescore, weekly drop check),
    and keep the accounts' live connections open (see `fanlens listen`)."""
    from fanlens.connectors import listen
    from fanlens.connectors.cli import check_live_settings
    from fanlens.db import migrate
    from fanlens.db.engine import describe_location, get_engine
    from fanlens.db.queue import ensure_schema
    from fanlens.interactions.upkeep import catch_up
    from fanlens.jobs.app import create_app, run_worker

    check_live_settings()
    console.print(f"database: {describe_location()}")
    migrate.upgrade(get_engine())
    ensure_schema()
    if caught := catch_up(engine=get_engine()):
        console.print(f"derived rows brought up to date ({caught:,} interactions waited)")
    console.print("worker started")
    sys.stdout.flush()
    with listen.kept_open(get_engine()):
        run_worker(create_app(), queues=queue or None, concurrency=concurrency, name=name)
