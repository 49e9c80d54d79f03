"""`fanlens content suggestions|link|link-all|unlink`: link posts on different platforms into one
content item."""

from __future__ import annotations

import uuid
from typing import Annotated

import typer

from fanlens.kit.cli import WorkspaceOption, friendly_errors
from fanlens.kit.errors import InvalidInput
from fanlens.workspaces.cli import named_workspace

content_app = typer.Typer(
    help="Content items: link posts on different platforms into one item.", no_args_is_help=True
)
app = typer.Typer()
app.add_typer(content_app, name="content")


def _id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise InvalidInput(f"{value!r} is not a post id") from exc


@content_app.command("suggestions")
@friendly_errors
def suggestions(
    workspace: WorkspaceOption = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many.")] = 50,
) -> None:
    """Posts that look like one content item (tab-separated): post id, other post id,
    similarity, hours apart, both captions."""
    from fanlens.content import linking
    from fanlens.db.engine import unit_of_work

    with unit_of_work() as session:
        ws = named_workspace(session, workspace)
        found = linking.suggestions(session=session, workspace_id=ws.id, limit=limit)
    print("post_id\tother_post_id\tsimilarity\thours_apart\tpost\tother_post")
    for s in found:
        print(
            f"{s.post.id}\t{s.other_post.id}\t{s.similarity}\t{s.hours_apart}\t"
            f"{s.post.platform}: {s.post.caption or ''}\t"
            f"{s.other_post.platform}: {s.other_post.caption or ''}"
        )


@content_app.command("link")
@friendly_errors
def link(
    post_id: Annotated[str, typer.Argument(help="Its content item keeps both posts.")],
    other_post_id: Annotated[str, typer.Argument(help="Moves into post_id's content item.")],
    reject: Annotated[
        bool, typer.Option("--reject", help="Say they are NOT one item (never suggested again).")
    ] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Accept (or, with --reject, reject) that two posts are one content item."""
    from fanlens.content import linking
    from fanlens.db.engine import unit_of_work

    with unit_of_work() as session:
        ws = named_workspace(session, workspace)
        decide = linking.reject if reject else linking.link
        decision = decide(
            session=session,
            workspace_id=ws.id,
            post_id=_id(post_id),
            other_post_id=_id(other_post_id),
        )
    if reject:
        print(f"rejected: {post_id} and {other_post_id} will not be suggested again")
    else:
        print(f"linked: post {other_post_id} moved into the content item of {post_id}")
    print(f"decision {decision.id}")


@content_app.command("link-all")
@friendly_errors
def link_all(
    min_similarity: Annotated[
        float,
        typer.Option(min=0, max=1, help="Accept every suggestion at least this similar (0–1)."),
    ],
    dry_run: Annotated[bool, typer.Option(help="Count them, link nothing.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Accept every suggestion at or above a similarity in one transaction (at most 500, best
    first); pairs that can no longer be linked are listed with the reason."""
    from fanlens.content import link_batch
    from fanlens.db.engine import unit_of_work

    with unit_of_work() as session:
        ws = named_workspace(session, workspace)
        if dry_run:
            found = link_batch.pending_above(
                session=session, workspace_id=ws.id, min_similarity=min_similarity
            )
            print(f"{len(found)} suggestions at or above {min_similarity:g} (nothing linked)")
            return
        out = link_batch.link_above(
            session=session, workspace_id=ws.id, min_similarity=min_similarity
        )
    print(f"linked {len(out.linked)} pairs, skipped {len(out.skipped)}")
    for skipped in out.skipped:
        why = link_batch.SKIP_REASONS[skipped.reason]
        print(f"skipped\t{skipped.post_id}\t{skipped.other_post_id}\t{why}")
    if out.left_over:
        print(f"{out.left_over} more at or above {min_similarity:g}: run the command again")


@content_app.command("unlink")
@friendly_errors
def unlink(
    post_id: Annotated[str, typer.Argument(help="A post that a link moved.")],
    workspace: WorkspaceOption = None,
) -> None:
    """Put a linked post back into the content item it had before the link."""
    from fanlens.content import linking
    from fanlens.db.engine import unit_of_work

    with unit_of_work() as session:
        ws = named_workspace(session, workspace)
        decision = linking.unlink(session=session, workspace_id=ws.id, post_id=_id(post_id))
    print(f"unlinked: post {post_id} is back in content item {decision.previous_content_id}")
