"""`fanlens import`: files → the ingest pipeline, with a progress bar and a summary."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Sequence
from typing import IO

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from fanlens.db.engine import unit_of_work
from fanlens.interactions.ingest import Batch, IngestSummary, import_stream
from fanlens.kit.files import open_binary_for_read
from fanlens.workspaces import service as workspace_service


def run_import(
    paths: Sequence[str],
    *,
    workspace: str,
    rejects_path: str | None,
    batch_size: int,
    console: Console,
) -> IngestSummary | None:
    """Import every path; None when some input could not be read, entirely or part way (the
    complete lines of a damaged input are stored all the same)."""
    unreadable = [problem for p in paths if p != "-" and (problem := _unreadable(p))]
    if unreadable:
        for problem in unreadable:
            console.print(f"[red]error:[/red] {problem}")
        return None
    with unit_of_work() as session:
        workspace_id = workspace_service.get_by_name_or_raise(session=session, name=workspace).id
    total = IngestSummary()
    rejects_out = open(rejects_path, "w", encoding="utf-8") if rejects_path else None  # noqa: SIM115
    try:
        for path in paths:
            total.merge(_import_one(path, workspace_id, batch_size, console, rejects_out))
    except OSError as exc:
        console.print(f"[red]error:[/red] reading failed: {exc}")
        catch_up(workspace_id, console)
        return None
    finally:
        if rejects_out:
            rejects_out.close()
    catch_up(workspace_id, console)
    print_summary(console, total)
    if total.posts_created:
        auto_link_posts(workspace_id, console)
    if total.interactions_inserted:
        _queue_sentiment(workspace_id, console)
    if total.followers_created or total.followers_updated:
        refresh_people(workspace_id, console)
    for damage in total.damaged:
        console.print(f"[red]error:[/red] {damage}; the complete lines before it were stored")
    return None if total.damaged else total


def _unreadable(path: str) -> str | None:
    """Why `path` cannot be read, checked before anything is stored; None when it can."""
    try:
        with open(path, "rb"):
            return None
    except FileNotFoundError:
        return f"cannot read {path}: no such file"
    except IsADirectoryError:
        return f"cannot read {path}: is a directory (give the .jsonl or .jsonl.gz files in it)"
    except PermissionError:
        return f"cannot read {path}: permission denied"
    except OSError as exc:
        return f"cannot read {path}: {exc.strerror or exc}"


def catch_up(workspace_id: uuid.UUID, console: Console) -> None:
    """Bring the derived rows the bulk batches left (and any an earlier import left) up to
    date: the import returns only when they are current."""
    from fanlens.interactions.upkeep import catch_up

    caught = catch_up(workspace_id)
    if caught:
        console.print(f"scores, counts and retention brought up to date ({caught:,} interactions)")


def auto_link_posts(workspace_id: uuid.UUID, console: Console) -> None:
    """New posts may be cross-posts of stored ones: link those beyond doubt (own transaction,
    after the batches: it reads every post the import stored)."""
    from fanlens.config import settings
    from fanlens.content.linking import auto_link

    with unit_of_work() as session:
        moved = auto_link(
            session=session,
            workspace_id=workspace_id,
            confidence=settings.content_auto_link_confidence,
        )
    if moved:
        console.print(f"{moved:,} cross-posted posts linked to their content items")


def refresh_people(workspace_id: uuid.UUID, console: Console) -> None:
    """New or changed followers may be one person across platforms: refresh the merge
    suggestions now (no worker runs beside `fanlens import`), after every batch committed."""
    from fanlens.people.refresh import refresh_now

    run = refresh_now(workspace_id)
    if run is None:
        console.print("[yellow]merge suggestions not refreshed[/yellow] (see the log)")
    elif run.new_suggestions or run.auto_merged:
        console.print(
            f"{run.new_suggestions:,} new merge suggestions, {run.auto_merged:,} people merged "
            f"(confidence at least {run.threshold})"
        )


def _queue_sentiment(workspace_id: uuid.UUID, console: Console) -> None:
    # After every batch has committed: the job must see the comments it is asked to analyse.
    from fanlens.sentiment.runner import defer_analysis

    if defer_analysis(workspace_id):
        console.print("sentiment analysis of the new comments queued for the job worker")
    else:
        console.print("no job queue: run `fanlens sentiment analyze-pending` for sentiment")


def _import_one(
    path: str,
    workspace_id: uuid.UUID,
    batch_size: int,
    console: Console,
    rejects_out: IO[str] | None,
) -> IngestSummary:
    size = os.path.getsize(path) if path != "-" else None
    columns = [
        TextColumn(f"[bold]{os.path.basename(path) if path != '-' else 'stdin'}"),
        BarColumn(),
        TextColumn("{task.fields[lines]:,} lines"),
        TimeRemainingColumn(),
    ]
    with (
        Progress(*columns, console=console, transient=False) as progress,
        open_binary_for_read(path) as stream,
    ):
        task = progress.add_task("import", total=size, lines=0)
        done = {"lines": 0}

        def on_batch(batch: Batch, result: IngestSummary) -> None:
            done["lines"] += batch.lines
            progress.update(task, advance=batch.bytes_read, lines=done["lines"])
            if rejects_out is not None:
                for r in result.rejects:
                    rejects_out.write(
                        json.dumps(
                            {
                                "source": path,
                                "line": r.line,
                                "reason": r.reason,
                                "error": r.message,
                                "raw": r.raw,
                            },
                            ensure_ascii=False,
                        )
                        + "\n"
                    )

        return import_stream(
            stream,
            workspace_id=workspace_id,
            source=path,
            session_scope=unit_of_work,
            batch_size=batch_size,
            on_batch=on_batch,
            bulk=True,
        )


def print_summary(console: Console, s: IngestSummary, *, unit: str = "lines") -> None:
    table = Table("", "count", title="import summary")
    table.add_row(f"{unit} read", f"{s.lines:,}")
    table.add_row("interactions inserted", f"{s.interactions_inserted:,}")
    table.add_row("interactions already present", f"{s.interactions_already_present:,}")
    if s.interactions_upgraded:
        table.add_row("  given their exact time", f"{s.interactions_upgraded:,}")
    table.add_row("followers created", f"{s.followers_created:,}")
    table.add_row("followers updated", f"{s.followers_updated:,}")
    table.add_row("posts created", f"{s.posts_created:,}")
    table.add_row("posts updated", f"{s.posts_updated:,}")
    table.add_row("rejected", f"{s.rejected_total:,}")
    for reason, count in sorted(s.rejected.items()):
        table.add_row(f"  rejected: {reason}", f"{count:,}")
    console.print(table)
    if s.rejected_total:
        console.print(
            f"rejected {unit} are kept in the ingest_rejects table "
            f"(with {unit[:-1]} number and reason); good {unit} were stored."
        )
