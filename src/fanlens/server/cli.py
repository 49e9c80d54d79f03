"""`fanlens serve`: the API, the dashboard and the job worker."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from fanlens.config import settings
from fanlens.demo.cli import DemoSize, run_demo
from fanlens.kit.cli import console, friendly_errors, program

app = typer.Typer()


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
    from fanlens.connectors.cli import check_live_settings
    from fanlens.db import migrate
    from fanlens.db.engine import database_url, describe_location, get_engine
    from fanlens.db.queue import ensure_schema
    from fanlens.server import processes

    processes.exit_on_signals()  # from here on, so they stop the embedded server it starts
    bind_host, bind_port = host or settings.host, port or settings.port
    processes.check_port(bind_host, bind_port)  # before the demo's minute of work
    if job_worker:
        check_live_settings()  # the worker keeps the live connections open
    live_demo = False
    if with_demo:
        live_demo = run_demo(False, demo_size) and job_worker
    else:
        console.print(f"database: {describe_location()}")
        if migrate_first:
            migrate.upgrade(get_engine())
    if job_worker or migrate_first:
        ensure_schema()  # the job queue: the worker needs it, and the API queues jobs in it
    processes.check_port(bind_host, bind_port)  # still free: say "serving on" only then
    console.print(f"serving on http://{bind_host}:{bind_port}  (dashboard: /analytics)")
    console.print("job worker: " + ("running" if job_worker else "off (--no-worker)"))
    console.print(f"command line: {program()} --help", markup=False, highlight=False)
    sys.stdout.flush()
    jobs_url = database_url() if job_worker else None
    if not live_demo:
        _serve(bind_host, bind_port, workers, jobs_url, worker_concurrency)
        return
    from fanlens.demo.live import trickle

    with trickle(demo_size) as sim:
        console.print(f"demo: Bluesky fans act live, streamed from {sim.stream_url}")
        sys.stdout.flush()
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
            config = uvicorn.Config(
                create_app(), host=host, port=port, log_level="warning",
                **processes.proxy_options(),
            )  # fmt: skip
            processes.server(config).run()
            return
        # Several processes, each importing the app itself (the GIL caps one at one core).
        uvicorn.run(
            processes.APP, factory=True, workers=workers, host=host, port=port,
            log_level="warning", **processes.proxy_options(),
        )  # fmt: skip
