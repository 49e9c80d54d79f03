"""The `fanlens` command line: every domain's Typer app, joined into one."""

from __future__ import annotations

import typer
from typer.core import TyperGroup

from fanlens.alerts.cli import app as alerts
from fanlens.auth.cli import app as auth
from fanlens.config import settings
from fanlens.connectors.cli import app as connectors
from fanlens.content.cli import app as content
from fanlens.db.cli import app as db
from fanlens.demo.cli import app as demo
from fanlens.exports.cli import app as exports
from fanlens.interactions.cli import app as interactions
from fanlens.jobs.cli import app as jobs
from fanlens.kit import logging as kit_logging
from fanlens.outreach.cli import app as outreach
from fanlens.people.cli import app as people
from fanlens.scoring.cli import app as scoring
from fanlens.sentiment.cli import app as sentiment
from fanlens.server.cli import app as server
from fanlens.simulators.cli import app as simulators
from fanlens.users.cli import app as users
from fanlens.workspaces.cli import app as workspaces


class CommandsFirst(TyperGroup):
    """Lists the plain commands before the command groups, each in the order they were added."""

    def list_commands(self, ctx: typer.Context) -> list[str]:  # type: ignore[override]
        names = super().list_commands(ctx)
        return sorted(names, key=lambda name: isinstance(self.commands[name], TyperGroup))


app = typer.Typer(
    cls=CommandsFirst,
    help="fanlens: cross-platform content and fan analytics.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)

# Each domain's app names its own commands and groups; this order is the order of `--help`.
DOMAINS = (
    demo,
    server,
    interactions,
    simulators,
    db,
    workspaces,
    auth,
    users,
    scoring,
    alerts,
    connectors,
    exports,
    jobs,
    sentiment,
    people,
    outreach,
    content,
)
for domain_app in DOMAINS:
    app.add_typer(domain_app)


@app.callback()
def main() -> None:
    kit_logging.setup(settings.log_level)
