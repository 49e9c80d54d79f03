"""What every command of the `fanlens` CLI shares: the consoles, the workspace option and the
handling of domain errors."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
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
