"""`fanlens people …`: suggestions, merge, unmerge, one person, the people leaderboard."""

from __future__ import annotations

import uuid
from typing import Annotated

import typer

from fanlens.kit.cli import WorkspaceOption, friendly_errors
from fanlens.kit.errors import InvalidInput
from fanlens.workspaces.cli import named_workspace

people_app = typer.Typer(
    help="People across platforms: suggestions, merge, unmerge.", no_args_is_help=True
)
app = typer.Typer()
app.add_typer(people_app, name="people")

By = Annotated[str, typer.Option("--by", help="Who decides (kept in the history).")]


def _uuid(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise InvalidInput(f"{value!r} is not a {what} id (a UUID)") from exc


@people_app.command("suggestions")
@friendly_errors
def suggestions(
    workspace: WorkspaceOption = None,
    refresh: Annotated[
        bool, typer.Option("--refresh", help="Look for evidence first (and auto-merge).")
    ] = False,
    status: Annotated[str, typer.Option(help="pending, merged, rejected or all.")] = "pending",
    limit: Annotated[int, typer.Option(help="At most this many.")] = 50,
) -> None:
    """List merge suggestions (id, confidence, kind, the two identities), tab-separated."""
    from fanlens.db.engine import unit_of_work
    from fanlens.people import service

    with unit_of_work() as session:
        ws = named_workspace(session, workspace).id
        if refresh:
            run = service.refresh_suggestions(session=session, workspace_id=ws)
            print(
                f"# {run.candidates} candidate pair(s), {run.new_suggestions} new, "
                f"{run.auto_merged} merged automatically (threshold {run.threshold})"
            )
        rows = service.suggestions(
            session=session,
            workspace_id=ws,
            status=None if status == "all" else status,
            limit=limit,
        )
    for s in rows:
        print(
            f"{s.id}\t{s.confidence:.2f}\t{s.kind}\t{s.status}\t"
            f"{s.platform_a}:{s.username_a}\t{s.platform_b}:{s.username_b}"
        )


@people_app.command("accept")
@friendly_errors
def accept(suggestion_id: str, workspace: WorkspaceOption = None, by: By = "cli") -> None:
    """Accept a suggestion: merge the two identities' people."""
    _decide(suggestion_id, workspace, by, accept=True)


@people_app.command("reject")
@friendly_errors
def reject(suggestion_id: str, workspace: WorkspaceOption = None, by: By = "cli") -> None:
    """Reject a suggestion: the identities stay apart and it is not suggested again."""
    _decide(suggestion_id, workspace, by, accept=False)


def _decide(suggestion_id: str, workspace: str | None, by: str, *, accept: bool) -> None:
    from fanlens.db.engine import unit_of_work
    from fanlens.people import service

    sid = _uuid(suggestion_id, "suggestion")
    with unit_of_work() as session:
        ws = named_workspace(session, workspace).id
        out = service.decide(
            session=session, workspace_id=ws, suggestion_id=sid, accept=accept, decided_by=by
        )
    print(f"{out.id}: {out.status}")


@people_app.command("merge")
@friendly_errors
def merge(
    target_person_id: Annotated[str, typer.Argument(help="The person who stays.")],
    source_person_id: Annotated[str, typer.Argument(help="The person merged into them.")],
    workspace: WorkspaceOption = None,
    by: By = "cli",
) -> None:
    """Merge two people: every identity of SOURCE moves to TARGET. Prints the merge id."""
    from fanlens.db.engine import unit_of_work
    from fanlens.people import service

    target, source = _uuid(target_person_id, "person"), _uuid(source_person_id, "person")
    with unit_of_work() as session:
        record = service.merge(
            session=session,
            workspace_id=named_workspace(session, workspace).id,
            target_person_id=target,
            source_person_id=source,
            merged_by=by,
        )
        print(f"merged {len(record.follower_ids)} identity(ies) into {target}; merge {record.id}")


@people_app.command("unmerge")
@friendly_errors
def unmerge(
    merge_id: Annotated[str, typer.Argument(help="The merge to undo.")],
    workspace: WorkspaceOption = None,
    by: By = "cli",
) -> None:
    """Undo a merge exactly: the source person and their identities come back."""
    from fanlens.db.engine import unit_of_work
    from fanlens.people import service

    mid = _uuid(merge_id, "merge")
    with unit_of_work() as session:
        record = service.unmerge(
            session=session,
            workspace_id=named_workspace(session, workspace).id,
            merge_id=mid,
            unmerged_by=by,
        )
        print(f"restored person {record.source_person_id} ({len(record.follower_ids)} identities)")


@people_app.command("show")
@friendly_errors
def show(person_id: str, workspace: WorkspaceOption = None) -> None:
    """One person as JSON: identities, score, suggestions, merge history, recent activity."""
    from fanlens.db.engine import unit_of_work
    from fanlens.people import service

    pid = _uuid(person_id, "person")
    with unit_of_work() as session:
        out = service.detail(
            session=session, workspace_id=named_workspace(session, workspace).id, person_id=pid
        )
    print(out.model_dump_json(indent=2))


@people_app.command("top")
@friendly_errors
def top(
    workspace: WorkspaceOption = None,
    limit: Annotated[int, typer.Option(help="Top N.")] = 10,
    influential: Annotated[
        bool, typer.Option("--influential", help="Only people with a micro+ reach identity.")
    ] = False,
) -> None:
    """The people leaderboard: rank, score, tier, platforms, reach (tab-separated)."""
    from fanlens.db.engine import unit_of_work
    from fanlens.people import service

    with unit_of_work() as session:
        ws = named_workspace(session, workspace).id
        fn = service.influential if influential else service.leaderboard
        rows = fn(session=session, workspace_id=ws, limit=limit)
    for r in rows:
        print(
            f"{r.rank}\t{r.person_id}\t{r.name}\t{r.engagement_score:g}\t{r.engagement_tier}\t"
            f"{','.join(r.platforms)}\t{r.max_reach}\t{r.reach_tier}"
        )
