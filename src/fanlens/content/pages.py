"""The content linking page: the suggestions (100 a page, with their count), Link / Not the same
one by one, Link selected, Link all at or above a similarity, the decisions with Unlink and
Unlink selected. Every action answers with a redirect back to the page, whose notice says what
was done and what was skipped (numbers in the query string, so a reload shows the same).
The forms need the session's CSRF token and a user with write access."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from fanlens.api.dependencies import Session
from fanlens.content import link_batch, linking
from fanlens.content.schemas import (
    MAX_BULK_PAIRS,
    BulkLinkOut,
    BulkUnlinkOut,
    LinkPairIn,
    LinkSuggestion,
)
from fanlens.kit.errors import InvalidInput
from fanlens.web.auth import CurrentUser, WriterUser, check_csrf
from fanlens.web.rendering import render, urlencode_params

router = APIRouter(include_in_schema=False)
PAGE = "/analytics/links"
PER_PAGE = 100
DEFAULT_AT_LEAST = 90  # percent: pairs this alike are nearly always one video
MAX_COUNT = 100_000  # a notice's numbers come from the query string: bounded, never trusted


def _int(value: str | None, default: int, low: int, high: int) -> int:
    try:
        return min(max(int(value or default), low), high)
    except ValueError:
        return default


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


@router.get(PAGE, response_class=HTMLResponse)
def links_page(request: Request, session: Session, user: CurrentUser) -> HTMLResponse:
    ws, p = user.workspace_id, request.query_params
    found = linking.suggestions(session=session, workspace_id=ws, limit=None)
    start = _int(p.get("start"), 0, 0, max(len(found) - 1, 0))
    at_least = _int(p.get("at_least"), DEFAULT_AT_LEAST, 0, 100)
    decided = linking.decisions(session=session, workspace_id=ws)
    dstart = _int(p.get("dstart"), 0, 0, max(len(decided) - 1, 0))
    shown_decisions = decided[dstart : dstart + PER_PAGE]
    ids = [i for d in shown_decisions for i in (d.post_id, d.other_post_id)]
    return render(
        request,
        "links.html",
        {
            "user": user,
            "active": "links",
            "suggestions": found[start : start + PER_PAGE],
            "total": len(found),
            "start": start,
            "per_page": PER_PAGE,
            "at_least": at_least,
            "at_least_count": _count_at_least(found, at_least),
            "decisions": shown_decisions,
            "decisions_total": len(decided),
            "dstart": dstart,
            "posts": linking.posts(session=session, workspace_id=ws, post_ids=ids),
            "notice": _notice(request),
            "page_link": lambda **kw: f"{PAGE}?{urlencode_params(kw)}",
        },
    )


def _count_at_least(found: list[LinkSuggestion], at_least: int) -> int:
    return sum(1 for s in found if s.similarity >= at_least / 100)


def _back(done: str, **counts: int) -> RedirectResponse:
    query = {"done": done, **{k: v for k, v in counts.items() if v}}
    return RedirectResponse(f"{PAGE}?{urlencode_params(query)}", status_code=303)


@router.post(PAGE)
def links_decide(
    request: Request,
    session: Session,
    user: WriterUser,
    action: Annotated[str, Form(max_length=20)],
    post_id: Annotated[str, Form(max_length=64)],
    other_post_id: Annotated[str, Form(max_length=64)] = "",
    pair: Annotated[str, Form(max_length=200)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> RedirectResponse:
    """Link (the row's `pair`, as Link selected does), Not the same or Unlink of one row."""
    check_csrf(request, csrf_token)
    ws, post, other = user.workspace_id, _uuid(post_id), _uuid(other_post_id)
    if action == "accept":
        return _summary(
            link_batch.link_pairs(session=session, workspace_id=ws, pairs=[_pair(pair)])
        )
    if action == "unlink" and post is not None:
        return _unlinked(link_batch.unlink_posts(session=session, workspace_id=ws, post_ids=[post]))
    if action == "reject" and post is not None and other is not None:
        linking.reject(session=session, workspace_id=ws, post_id=post, other_post_id=other)
        return _back("reject", rejected=1)
    raise InvalidInput("choose Link, Not the same or Unlink of a row the page showed")


def _pair(value: str) -> LinkPairIn:
    """A row: post id, its item, other post id, its item (as the page showed them)."""
    parts = value.split(".")
    ids = [i for i in map(_uuid, parts) if i is not None]
    if len(parts) != 4 or len(ids) != 4:
        raise InvalidInput("a selected pair is not one the page showed; reload the page")
    post, item, other, other_item = ids
    return LinkPairIn(
        post_id=post, post_content_id=item, other_post_id=other, other_content_id=other_item
    )


@router.post(f"{PAGE}/bulk")
def links_bulk(
    request: Request,
    session: Session,
    user: WriterUser,
    pair: Annotated[list[str] | None, Form()] = None,
    at_least: Annotated[str, Form(max_length=10)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> RedirectResponse:
    """Link selected (`pair`, one per ticked row) or Link all at or above `at_least` percent."""
    check_csrf(request, csrf_token)
    ws = user.workspace_id
    if at_least:
        percent = _int(at_least, -1, -1, 101)
        if not 0 <= percent <= 100:
            raise InvalidInput("the similarity is a whole percentage between 0 and 100")
        out = link_batch.link_above(session=session, workspace_id=ws, min_similarity=percent / 100)
        return _summary(out, at_least=percent)
    if not pair:
        raise InvalidInput("tick the pairs to link first")
    if len(pair) > MAX_BULK_PAIRS or any(len(v) > 200 for v in pair):
        raise InvalidInput(f"choose at most {MAX_BULK_PAIRS} pairs")
    pairs = [_pair(v) for v in pair]
    return _summary(link_batch.link_pairs(session=session, workspace_id=ws, pairs=pairs))


def _summary(out: BulkLinkOut, **extra: int) -> RedirectResponse:
    skipped = Counter(f"skipped_{s.reason}" for s in out.skipped)
    more = {"more": out.left_over, **extra} if out.left_over else {}
    return _back("link", linked=len(out.linked), **skipped, **more)


@router.post(f"{PAGE}/unlink")
def links_unlink(
    request: Request,
    session: Session,
    user: WriterUser,
    post_id: Annotated[list[str] | None, Form()] = None,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> RedirectResponse:
    """Unlink selected: each ticked post goes back to its previous item."""
    check_csrf(request, csrf_token)
    if not post_id:
        raise InvalidInput("tick the linked posts to unlink first")
    if len(post_id) > MAX_BULK_PAIRS:
        raise InvalidInput(f"choose at most {MAX_BULK_PAIRS} posts")
    ids = [_uuid(v[:64]) for v in post_id]
    if any(i is None for i in ids):
        raise InvalidInput("a selected post is not one the page showed; reload the page")
    out = link_batch.unlink_posts(
        session=session, workspace_id=user.workspace_id, post_ids=[i for i in ids if i]
    )
    return _unlinked(out)


def _unlinked(out: BulkUnlinkOut) -> RedirectResponse:
    skipped = Counter(f"skipped_{s.reason}" for s in out.skipped)
    return _back("unlink", unlinked=len(out.unlinked), **skipped)


def _notice(request: Request) -> dict[str, Any] | None:
    """What the last action did, read back from the redirect's query string."""
    p = request.query_params
    if p.get("done") not in ("link", "unlink", "reject"):
        return None
    count = {k: _int(p.get(k), 0, 0, MAX_COUNT) for k in ("linked", "unlinked", "rejected")}
    skipped = {
        why: n
        for reason, why in link_batch.SKIP_REASONS.items()
        if (n := _int(p.get(f"skipped_{reason}"), 0, 0, MAX_COUNT))
    }
    return {
        "done": p.get("done"),
        **count,
        "skipped": skipped,
        "skipped_total": sum(skipped.values()),
        "more": _int(p.get("more"), 0, 0, MAX_COUNT),
        "at_least": _int(p.get("at_least"), 0, 0, 100),
    }
