"""`fanlens simulate PLATFORM`: a local server speaking a platform's API."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from fanlens.kit.cli import console, friendly_errors
from fanlens.kit.errors import FanlensError

app = typer.Typer()


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
    jetstream_log: Annotated[
        Path | None,
        typer.Option(
            "--jetstream-log",
            help="Bluesky: keep the Jetstream events sent in this file and replay them after "
            "a restart.",
        ),
    ] = None,
) -> None:
    """Serve a local simulator of a platform's API, backed by a synthetic world."""
    from fanlens.simulators.run import SIMULATORS, base_url_for, serve, world_records

    if platform not in SIMULATORS:
        raise FanlensError(f"no simulator for {platform!r}; choose one of {', '.join(SIMULATORS)}")
    if world_size not in ("tiny", "small", "medium"):
        raise FanlensError("--world-size must be tiny, small or medium")
    if jetstream_log is not None and platform != "bluesky":
        raise FanlensError("--jetstream-log is for the bluesky simulator only")
    records = world_records(world_size, seed, platform)
    root = f"http://{host}:{port}"
    console.print(f"{platform} simulator: {len(records):,} records of the {world_size} world")
    console.print(f"API base {base_url_for(platform, root)}  (control: {root}/_sim/state)")
    if platform == "tiktok":
        console.print(f"Business API base {root}/open_api/v1.3")
    sys.stdout.flush()
    options = {"jetstream_log": jetstream_log} if jetstream_log is not None else {}
    serve(platform, records, host, port, **options)
