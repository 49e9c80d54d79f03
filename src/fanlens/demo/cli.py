"""`fanlens demo`: fill an empty default workspace from the platform simulators."""

from __future__ import annotations

from typing import Annotated

import typer

from fanlens.config import settings
from fanlens.kit.cli import console, friendly_errors, program
from fanlens.kit.errors import FanlensError
from fanlens.simulators import PLATFORMS, named

app = typer.Typer()


HELP = (
    f"Fill an empty default workspace from a simulated account on each of {len(PLATFORMS)} "
    f"platforms: {named()}."
)
DemoSize = Annotated[str, typer.Option(help="World size: tiny or small (about a minute).")]


def run_demo(reset: bool, size: str) -> bool:
    """Build (or find) the demo; False when the workspace holds data of its own."""
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
            f"workspace {settings.default_workspace!r} holds data of its own: no demo added. "
            f"Log in with a user from `{program()} user create`, or delete everything in it "
            f"and build the demo with `{program()} demo --reset`.",
            markup=False,
            highlight=False,
        )
        return False
    console.print(f"demo login: {login.username} / {login.password}", markup=False, highlight=False)
    console.print(f"API token (read): {login.token}", markup=False, highlight=False)
    return True


@app.command("demo", help=HELP)
@friendly_errors
def demo_command(
    reset: Annotated[
        bool, typer.Option("--reset", help="Delete the default workspace's data and start over.")
    ] = False,
    size: DemoSize = "small",
) -> None:
    run_demo(reset, size)
