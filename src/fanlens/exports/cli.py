"""`fanlens import-export PLATFORM PATH`: a platform's data export → the ingest pipeline."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from fanlens.config import settings
from fanlens.exports.service import ExportSummary, import_sections, read_sections
from fanlens.kit.cli import console, friendly_errors
from fanlens.workspaces.cli import named_workspace

app = typer.Typer()


@app.command("import-export")
@friendly_errors
def import_export_command(
    platform: Annotated[str, typer.Argument(help="instagram, tiktok, x or mastodon.")],
    path: Annotated[str, typer.Argument(help="The export: a .zip, a folder or one file.")],
    workspace: Annotated[str | None, typer.Option(help="Workspace name.")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Items per transaction.")] = None,
) -> None:
    """Import a platform's official data export; re-importing it adds nothing."""
    from fanlens.db.engine import unit_of_work
    from fanlens.interactions.importer import auto_link_posts, print_summary, refresh_people

    sections = read_sections(platform=platform, path=path)  # layout errors before any write
    with unit_of_work() as session:
        workspace_id = named_workspace(session, workspace).id
    columns = [TextColumn(f"[bold]{platform} export"), BarColumn(), MofNCompleteColumn()]
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("items", total=sum(len(s.items) for s in sections))
        summary = import_sections(
            sections,
            platform=platform,
            workspace_id=workspace_id,
            session_scope=unit_of_work,
            batch_size=batch_size or settings.ingest_batch_size,
            on_batch=lambda batch: progress.advance(task, batch.lines),
        )
    _print_found(summary)
    print_summary(console, summary.ingest, unit="items")
    if summary.ingest.posts_created:
        auto_link_posts(workspace_id, console)
    if summary.ingest.followers_created or summary.ingest.followers_updated:
        refresh_people(workspace_id, console)


def _print_found(summary: ExportSummary) -> None:
    for what, n in sorted(summary.items.items()):
        skipped = summary.skipped.get(what, 0)
        note = f" ({skipped:,} skipped: not the creator's own)" if skipped else ""
        console.print(f"{what}: {n:,} items in the export{note}")
