"""What every command of the `fanlens` CLI shares: the consoles, the workspace option and the
handling of domain errors."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from fanlens.kit.errors import FanlensError

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)

WorkspaceOption = Annotated[
    str | None, typer.Option("--workspace", "-w", help="Workspace name (default: the setting).")
]

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


def program() -> str:
    """This program as a command the user can type again, to name in a hint:
    `.venv/bin/fanlens` under `make run`, `fanlens` where PATH finds this one."""
    script = Path(sys.argv[0])
    if script.name == "__main__.py":  # python -m fanlens
        return f"{_as_typed(Path(sys.executable))} -m fanlens"
    if script.name != "fanlens" or shutil.which("fanlens") == str(script):
        return "fanlens"
    return _as_typed(script)


def _as_typed(path: Path) -> str:
    """Relative to the working directory when under it; with a slash, so no PATH look-up."""
    try:
        shown = str(path.relative_to(Path.cwd())) if path.is_absolute() else str(path)
    except ValueError:
        return str(path)
    return shown if "/" in shown else f"./{shown}"
