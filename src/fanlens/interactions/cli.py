"""`fanlens generate` and `fanlens import`: synthetic worlds and files in the interchange
format."""

from __future__ import annotations

from typing import Annotated

import typer

from fanlens.config import settings
from fanlens.kit.cli import console, friendly_errors
from fanlens.kit.errors import FanlensError

app = typer.Typer()


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
