"""Resumable passes over newest-first upstream lists, shared by every connector.

A pass yields one Page per upstream page; the state saved with it holds the page token, so a
killed sync continues where the last stored page ended. When the pass ends, its high-water
mark becomes the cursor the next incremental pass stops at.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fanlens.connectors.base import Page, Record, State, Stream, convert
from fanlens.kit.timeutil import parse_rfc3339

Fetch = Callable[[Any], tuple[list[Any], Any]]  # page token -> (items, next token or None)


@dataclass(frozen=True)
class Position:
    """How a pass orders items: `key` gives a comparable position (newer is larger) and
    `value` what is stored as the cursor; both may fail on a malformed item."""

    key: Callable[[Any], Any]
    value: Callable[[Any], Any]
    load: Callable[[Any], Any]  # stored cursor -> comparable position


def cursor_pass(
    stream: Stream,
    state: State,
    *,
    full: bool,
    fetch: Fetch,
    position: Position,
    to_records: Callable[[Any], list[Record]],
    stop_before: Any = None,
    on_page: Callable[[State, list[Any]], None] | None = None,
) -> Iterator[Page]:
    """Read pages until the end or, incrementally, until items are older than `stop_before`."""
    token, high = state.get("page"), state.get("high")
    while True:
        items, next_token = fetch(token)
        fresh = [
            i for i in items if full or stop_before is None or not _older(i, position, stop_before)
        ]
        records, rejects = convert(stream, fresh, to_records)
        high = _highest(high, fresh, position)
        new_state = {**state, "high": high}
        if on_page is not None:
            on_page(new_state, fresh)
        done = next_token is None or not items or len(fresh) < len(items)
        if done:
            new_state.pop("page", None)
            new_state.pop("high", None)
            new_state["cursor"] = _newer(state.get("cursor"), high, position)
        else:
            new_state["page"] = next_token
        yield Page(records=records, state=new_state, rejects=rejects)
        if done:
            return
        state, token = new_state, next_token


def _older(item: Any, position: Position, stop_before: Any) -> bool:
    try:
        return bool(position.key(item) < stop_before)
    except (KeyError, TypeError, ValueError, AttributeError):
        return False  # malformed: keep it, so it is rejected with its reason


def _highest(high: Any, items: list[Any], position: Position) -> Any:
    for item in items:
        try:
            value = position.value(item)
        except (KeyError, TypeError, ValueError, AttributeError):
            continue
        high = _newer(high, value, position)
    return high


def _newer(a: Any, b: Any, position: Position) -> Any:
    if a is None or b is None:
        return a if b is None else b
    return a if position.load(a) >= position.load(b) else b


def head_pass(
    stream: Stream,
    state: State,
    *,
    full: bool,
    fetch: Fetch,
    id_of: Callable[[Any], str],
    to_records: Callable[[Any], list[Record]],
) -> Iterator[Page]:
    """Read a newest-first list with no times (followers) until the newest id of the last
    complete pass; `full` reads it all."""
    stop_at = None if full else state.get("head")
    token, new_head = state.get("page"), state.get("new_head")
    while True:
        items, next_token = fetch(token)
        fresh = _until(items, id_of, stop_at)
        if new_head is None and items:
            new_head = _safe_id(items[0], id_of)
        records, rejects = convert(stream, fresh, to_records)
        done = next_token is None or not items or len(fresh) < len(items)
        if done:
            new_state: State = {"head": new_head or state.get("head")}
        else:
            new_state = {"head": state.get("head"), "page": next_token, "new_head": new_head}
        yield Page(records=records, state=new_state, rejects=rejects)
        if done:
            return
        token = next_token


def _until(items: list[Any], id_of: Callable[[Any], str], stop_at: str | None) -> list[Any]:
    fresh = []
    for item in items:
        if stop_at is not None and _safe_id(item, id_of) == stop_at:
            break
        fresh.append(item)
    return fresh


def _safe_id(item: Any, id_of: Callable[[Any], str]) -> str | None:
    try:
        return id_of(item)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def posts_to_visit(posts: dict[str, Any], seen: dict[str, Any], *, full: bool) -> list[str]:
    """Posts whose engagement must be (re-)read: all on a full sync, else those whose counts
    changed since they were last read — newest first."""
    order = sorted(posts.items(), key=lambda kv: (kv[1].get("at") or "", kv[0]), reverse=True)
    return [pid for pid, info in order if full or seen.get(pid) != info.get("sig")]


def post_time(info: dict[str, Any]) -> datetime | None:
    """When a post the posts stream remembered was published (None: it could not be dated)."""
    try:
        return parse_rfc3339(info["at"])
    except (KeyError, TypeError, ValueError):
        return None


def posts_since(posts: dict[str, Any], since: datetime) -> dict[str, Any]:
    """The remembered posts published at or after `since` (a faster poll's window)."""
    times = {pid: post_time(info) for pid, info in posts.items()}
    return {pid: posts[pid] for pid, at in times.items() if at is not None and at >= since}


def engagement_pass(
    stream: Stream,
    state: State,
    posts: dict[str, Any],
    *,
    full: bool,
    read_post: Callable[[str, dict[str, Any]], tuple[list[Record], list[Any]]],
) -> Iterator[Page]:
    """One page per post whose engagement is read; the post's counts are remembered with it,
    so a resumed sync skips posts already read and an incremental one reads only changed posts."""
    seen = dict(state.get("seen", {}))
    for post_id in posts_to_visit(posts, seen, full=full):
        records, rejects = read_post(post_id, posts[post_id])
        if not rejects:  # a post with a malformed item is read again next time
            seen[post_id] = posts[post_id].get("sig")
        yield Page(records=records, state={"seen": dict(seen)}, rejects=rejects)


def remember_posts(
    sig_of: Callable[[Any], str], id_of: Callable[[Any], str], at_of: Callable[[Any], str]
) -> Callable[[State, list[Any]], None]:
    """An on_page hook that keeps each post's time and counts signature in the posts state."""

    def hook(state: State, items: list[Any]) -> None:
        known = dict(state.get("posts", {}))
        for item in items:
            try:
                known[id_of(item)] = {"at": at_of(item), "sig": sig_of(item)}
            except (KeyError, TypeError, ValueError, AttributeError):
                continue  # rejected by the page's conversion
        state["posts"] = known

    return hook
