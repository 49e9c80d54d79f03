"""`fanlens sentiment …`: try the analyser on any text, analyse pending comments, corrections."""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Iterator
from typing import IO, Annotated

import typer

from fanlens.kit.cli import WorkspaceOption, friendly_errors
from fanlens.kit.errors import InvalidInput
from fanlens.workspaces.cli import named_workspace

sentiment_app = typer.Typer(
    help="Comment sentiment: analyse, correct, export labels.", no_args_is_help=True
)
app = typer.Typer()
app.add_typer(sentiment_app, name="sentiment")
BATCH = 1_000


def _lines(stream: IO[str]) -> Iterator[list[str]]:
    batch: list[str] = []
    for line in stream:
        batch.append(line.rstrip("\r\n"))
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


@sentiment_app.command("analyze")
@friendly_errors
def analyze(
    path: Annotated[str, typer.Argument(help="A text file, one text per line; - for stdin.")],
) -> None:
    """Analyse texts (one per line) and write JSONL {text, label, score, language, analyser}."""
    from fanlens.sentiment.analysers import analyse_texts
    from fanlens.sentiment.provider import default_analyser

    analyser = default_analyser()
    stream = sys.stdin if path == "-" else open(path, encoding="utf-8")  # noqa: SIM115
    try:
        for texts in _lines(stream):
            for text, v in zip(texts, analyse_texts(texts, analyser), strict=True):
                record = {
                    "text": text,
                    "label": v.label,
                    "score": round(v.score, 4),
                    "language": v.language,
                    "analyser": f"{v.analyser} {v.analyser_version}",
                }
                sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    finally:
        if stream is not sys.stdin:
            stream.close()


@sentiment_app.command("analyze-pending")
@friendly_errors
def analyze_pending(
    workspace: Annotated[
        str | None, typer.Option("--workspace", "-w", help="Only this workspace (default: all).")
    ] = None,
    redo: Annotated[
        bool, typer.Option("--all", help="Re-analyse every comment (corrections are kept).")
    ] = False,
) -> None:
    """Analyse comments not analysed yet, inline (what the post-ingest job does)."""
    from fanlens.sentiment.runner import analyse_pending

    summary = analyse_pending(workspace_name=workspace, redo=redo)
    print(
        f"{summary.analysed} comment(s) analysed in {summary.workspaces} workspace(s); "
        f"{summary.provider_failures} provider failure(s); {summary.alerts} new spike alert(s), "
        f"{summary.notified} sent to the webhook"
    )


@sentiment_app.command("correct")
@friendly_errors
def correct(
    interaction_id: Annotated[str, typer.Argument(help="The comment's interaction id.")],
    label: Annotated[str, typer.Argument(help="positive, neutral or negative.")],
    workspace: WorkspaceOption = None,
    by: Annotated[str, typer.Option(help="Who corrects (kept with the label).")] = "cli",
) -> None:
    """Set a comment's label by hand; it wins over every analyser and survives re-analysis."""
    from fanlens.db.engine import unit_of_work
    from fanlens.sentiment import service

    if label not in ("positive", "neutral", "negative"):
        raise InvalidInput(f"label must be positive, neutral or negative, not {label!r}")
    try:
        iid = uuid.UUID(interaction_id)
    except ValueError as exc:
        raise InvalidInput(f"{interaction_id!r} is not an interaction id (a UUID)") from exc
    with unit_of_work() as session:
        ws = named_workspace(session, workspace)
        out = service.correct(
            session=session, workspace_id=ws.id, interaction_id=iid, label=label, corrected_by=by
        )
    print(f"{out.interaction_id}: {out.analyser_label} ({out.analyser}) -> {out.label}")


@sentiment_app.command("export-labels")
@friendly_errors
def export_labels(
    output: Annotated[str, typer.Option("--output", "-o", help="File, or - for stdout.")] = "-",
    workspace: WorkspaceOption = None,
) -> None:
    """Write the corrected comments as JSONL (text, label, the analyser's label, who, when)."""
    from fanlens.db.engine import unit_of_work
    from fanlens.kit.files import open_text_for_write
    from fanlens.sentiment import service

    with unit_of_work() as session:
        ws = named_workspace(session, workspace)
        records = service.export_labels(session=session, workspace_id=ws.id)
    with open_text_for_write(output) as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
