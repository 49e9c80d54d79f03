"""`fanlens db …`: migrate the schema and show where the data lives."""

from __future__ import annotations

import typer
from rich.table import Table

from fanlens.kit.cli import console, friendly_errors

app = typer.Typer()
db_app = typer.Typer(help="Database: migrate and inspect.", no_args_is_help=True)
app.add_typer(db_app, name="db")


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
