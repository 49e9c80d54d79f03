"""Mastodon REST API of the account's own instance; `Link` header paging.

Replies carry their `created_at` (exact). `favourited_by` / `reblogged_by` / `followers` list
who, not when (observed) — unless the account has a token, in which case favourites, boosts,
follows and mentions come from notifications with their exact times instead.
"""

from __future__ import annotations

import html
import re
from collections.abc import Container, Iterator
from datetime import timedelta
from typing import Any

import httpx

from fanlens.connectors import base, paging
from fanlens.kit.http import HttpClient, HttpOptions, RetriesExhausted, budget_for
from fanlens.kit.timeutil import parse_rfc3339

PLATFORM = "mastodon"
POSTS = base.Stream("posts", ("external_post_id",), "posted_at", None, timedelta(days=7))
FOLLOWERS = base.Stream("followers", ("external_user_id",), None)
ENGAGEMENT = base.Stream("engagement", ("external_post_id", "interaction_type"), None)
NOTIFICATIONS = base.Stream("notifications", ("id",), "id", None)
NOTIFICATION_TYPES = {
    "favourite": "like",
    "reblog": "repost",
    "follow": "follow",
    "mention": "mention",
}
TAG = re.compile(r"<[^>]+>")
ANCHOR = re.compile(r"<a\s[^>]*>", re.IGNORECASE)
ATTRIBUTE = re.compile(r'([a-z-]+)\s*=\s*"([^"]*)"', re.IGNORECASE)
URL = re.compile(r"https?://[^\s<>\"']+")
# Anchors Mastodon makes for @mentions and #hashtags point at accounts and tags, not at pages
# the user chose to link.
NOT_A_PROFILE_LINK = {"mention", "hashtag"}
# Answers of accounts/:id that mean "no such profile here": skip the id, keep the batch.
NO_PROFILE = {"not_found", "gone"}


class MastodonConnector(base.Connector):
    platform = PLATFORM
    streams = (POSTS, FOLLOWERS, ENGAGEMENT, NOTIFICATIONS)
    profiles_per_call = 1  # GET /api/v1/accounts/:id, one account a call

    def __init__(self, account: base.AccountConfig, http: HttpClient) -> None:
        super().__init__(account, http)
        self.account_id: str | None = None
        self.has_token = bool(account.credentials.get("access_token"))
        # Status id -> the creator's post at the root of its thread, as this sync's thread
        # reads found it: a mention among them needs no request to know its thread.
        self.roots: dict[str, str] = {}

    @classmethod
    def from_account(cls, account: base.AccountConfig, options: HttpOptions) -> MastodonConnector:
        instance = str(account.settings["instance_url"]).rstrip("/")
        token = account.credentials.get("access_token")
        http = HttpClient(
            base_url=f"{instance}/api/v1",
            budget=budget_for(PLATFORM, instance),
            options=options,
            headers={"Authorization": f"Bearer {token}"} if token else {},
        )
        return cls(account, http)

    def resolve(self) -> str | None:
        try:
            body, _ = self._get("accounts/lookup", {"acct": self.account.handle})
        except base.ConnectorError as exc:
            if exc.reason == "not_found":
                raise base.ConnectorError.gone(
                    f"Mastodon account {self.account.handle} no longer exists", "not_found"
                ) from exc
            raise
        if body.get("suspended"):
            raise base.ConnectorError.gone(
                f"Mastodon account {self.account.handle} is suspended", "suspended"
            )
        self.account_id = base.require_text(body.get("id"), "id")
        return body.get("display_name") or body.get("username")

    def read(
        self, stream: base.Stream, state: base.State, *, full: bool, posts: dict[str, Any]
    ) -> Iterator[base.Page]:
        if stream is POSTS:
            yield from paging.cursor_pass(
                POSTS,
                state,
                full=full,
                fetch=self._pager(
                    f"accounts/{self.account_id}/statuses",
                    {"limit": 40, "exclude_reblogs": "true", "exclude_replies": "true"},
                ),
                position=paging.Position(key=_created, value=_created_text, load=parse_rfc3339),
                to_records=lambda s: [_post_record(s)],
                stop_before=POSTS.since(state, full=full),
                on_page=paging.remember_posts(_status_sig, lambda s: s["id"], _created_text),
            )
        elif stream is FOLLOWERS:
            yield from paging.head_pass(
                FOLLOWERS,
                state,
                full=full,
                fetch=self._pager(f"accounts/{self.account_id}/followers", {"limit": 80}),
                id_of=lambda a: a["id"],
                to_records=self._follower_records,
            )
        elif stream is ENGAGEMENT:
            yield from paging.engagement_pass(
                ENGAGEMENT, state, posts, full=full, read_post=self._engagement
            )
        elif stream is NOTIFICATIONS and self.has_token:
            yield from self._notifications(state, full=full, posts=posts)

    def fetch_profiles(self, external_user_ids: list[str]) -> list[base.Profile]:
        profiles = (self._profile(account_id) for account_id in external_user_ids)
        return [p for p in profiles if p is not None]

    def _profile(self, account_id: str) -> base.Profile | None:
        try:
            body, _ = self._get(f"accounts/{account_id}", None)
        except base.ConnectorError as exc:
            if exc.reason in NO_PROFILE:  # deleted, unknown here, or suspended (older servers)
                return None
            raise
        # A suspended account answers with zeroed counts: not a profile to believe.
        if not isinstance(body, dict) or body.get("suspended"):
            return None
        return _profile(body)

    # -- followers ------------------------------------------------------------------------

    def _follower_records(self, account: dict[str, Any]) -> list[base.Record]:
        who = _user(account)
        records = [base.follower(PLATFORM, who)]
        if not self.has_token:  # with a token, follows come from notifications with a time
            records.append(base.interaction(PLATFORM, "follow", who))
        return records

    # -- engagement -----------------------------------------------------------------------

    def _engagement(
        self, status_id: str, _info: dict[str, Any]
    ) -> tuple[list[base.Record], list[base.Reject]]:
        sources: list[tuple[list[Any], Any]] = [(self._descendants(status_id), self.reply_records)]
        if not self.has_token:
            sources += [
                (
                    self._all(f"statuses/{status_id}/favourited_by"),
                    lambda a: [
                        base.interaction(PLATFORM, "like", _user(a), external_post_id=status_id)
                    ],
                ),
                (
                    self._all(f"statuses/{status_id}/reblogged_by"),
                    lambda a: [
                        base.interaction(PLATFORM, "repost", _user(a), external_post_id=status_id)
                    ],
                ),
            ]
        records: list[base.Record] = []
        rejects: list[base.Reject] = []
        for items, to_records in sources:
            recs, rejs = base.convert(ENGAGEMENT, items, to_records)
            records.extend(recs)
            rejects.extend(rejs)
        return records, rejects

    def thread_of(self, status: dict[str, Any], posts: Container[str] = ()) -> str | None:
        """The id of the creator's post at the root of the status's thread, or None for a
        status outside the creator's threads. `posts` holds the creator's posts a sync knows
        (the posts stream's): a comment on one of them, or a status this sync's thread reads
        saw, is placed without a request; any other reply through its context."""
        parent = status.get("in_reply_to_id")
        if not parent:
            return None  # a status of its own, not a reply: no one's thread
        if parent in posts:
            return str(parent)
        known = self.roots.get(str(status.get("id"))) or self.roots.get(str(parent))
        return known or self.thread_root(status)

    def thread_root(self, status: dict[str, Any]) -> str | None:
        """The id of the creator's post at the root of the status's thread (a post whose
        thread a sync reads), or None: the thread is someone else's, or the status is gone."""
        try:
            body, _ = self._get(f"statuses/{status['id']}/context", {})
        except base.ConnectorError as exc:
            if exc.reason == "not_found":
                return None
            raise
        ancestors = body.get("ancestors") or []
        root = ancestors[0] if ancestors and isinstance(ancestors[0], dict) else {}
        if (root.get("account") or {}).get("id") != self.account_id or root.get("in_reply_to_id"):
            return None
        return base.require_text(root.get("id"), "id")

    def _descendants(self, status_id: str) -> list[Any]:
        try:
            body, _ = self._get(f"statuses/{status_id}/context", {})
        except base.ConnectorError as exc:
            if exc.reason == "not_found":  # deleted since the posts stream saw it
                return []
            raise
        found = body.get("descendants") or []
        self.roots.update({str(s.get("id")): status_id for s in found if isinstance(s, dict)})
        return [{"root": status_id, "status": s} for s in found]

    def reply_records(self, item: dict[str, Any]) -> list[base.Record]:
        status, root = item["status"], item["root"]
        who = _user(status["account"])
        if who["external_user_id"] == self.account_id:
            return []
        parent = status.get("in_reply_to_id")
        kind = "comment" if parent in (None, root) else "reply"
        return [
            base.interaction(
                PLATFORM,
                kind,
                who,
                external_post_id=root,
                external_id=base.require_text(status["id"], "id"),
                text=plain_text(status.get("content")),
                parent_external_id=parent if kind == "reply" else None,
                occurred_at=status["created_at"],
            )
        ]

    # -- notifications (token only) -------------------------------------------------------

    def _notifications(
        self, state: base.State, *, full: bool, posts: Container[str]
    ) -> Iterator[base.Page]:
        cursor = state.get("cursor")
        params: dict[str, Any] = {"limit": 80, "types[]": list(NOTIFICATION_TYPES)}
        yield from paging.cursor_pass(
            NOTIFICATIONS,
            state,
            full=full,
            fetch=self._pager("notifications", params),
            position=paging.Position(
                key=lambda n: int(n["id"]), value=lambda n: str(int(n["id"])), load=int
            ),
            to_records=lambda note: self.notification_records(note, posts=posts),
            stop_before=int(cursor) + 1 if cursor is not None else None,
        )

    def notifications_after(self, min_id: int, *, pages: int) -> list[dict[str, Any]]:
        """The notifications after `min_id`, oldest first, reading at most `pages` pages
        forward (`min_id` answers the page just after it, newest first)."""
        found: list[dict[str, Any]] = []
        params: dict[str, Any] = {"limit": 80, "types[]": list(NOTIFICATION_TYPES)}
        for _ in range(pages):
            body, _ = self._get("notifications", {**params, "min_id": str(min_id)})
            page = (
                sorted(
                    (n for n in body if isinstance(n, dict) and str(n.get("id", "")).isdigit()),
                    key=lambda n: int(n["id"]),
                )
                if isinstance(body, list)
                else []
            )
            found.extend(page)
            if len(page) < params["limit"]:
                break
            min_id = int(page[-1]["id"])
        return found

    def notification_records(
        self, note: dict[str, Any], *, posts: Container[str] = ()
    ) -> list[base.Record]:
        """What a notification stores, for a sync and the live stream alike. May ask for a
        mention's thread (`thread_of`), so it raises ConnectorError when that request fails."""
        kind = NOTIFICATION_TYPES.get(note["type"])
        if kind is None:
            return []
        who = _user(note["account"])
        when = note["created_at"]
        status = note.get("status") or {}
        if kind == "follow":
            return [
                base.follower(PLATFORM, who),
                base.interaction(PLATFORM, "follow", who, occurred_at=when),
            ]
        post_id = base.require_text(status.get("id"), "status.id")
        if kind == "mention":
            # One status, one interaction: in one of the creator's threads (where Mastodon
            # mentions the creator in every reply, to them or to a fan) it is the thread's
            # comment or reply, keyed as the thread read keys it, whichever reads it first.
            root = self.thread_of(status, posts)
            if root is not None:
                return self.reply_records({"root": root, "status": status})
            return [
                base.interaction(
                    PLATFORM,
                    "mention",
                    who,
                    external_id=post_id,
                    text=plain_text(status.get("content")),
                    occurred_at=when,
                )
            ]
        return [base.interaction(PLATFORM, kind, who, external_post_id=post_id, occurred_at=when)]

    # -- HTTP and errors ------------------------------------------------------------------

    def _pager(self, path: str, params: dict[str, Any]) -> Any:
        """A fetch function for Link-header paging: the page token is the next URL."""

        def fetch(next_url: str | None) -> tuple[list[Any], str | None]:
            body, response = self._get(next_url or path, None if next_url else params)
            items = body if isinstance(body, list) else []
            following = response.links.get("next", {}).get("url")
            return items, following if items else None

        return fetch

    def _all(self, path: str) -> list[Any]:
        fetch = self._pager(path, {"limit": 80})
        items, token = fetch(None)
        while token:
            more, token = fetch(token)
            items.extend(more)
        return items

    # Mastodon keeps an Idempotency-Key for an hour: a repeat answers the first status.
    idempotent_replies = True

    def reply(self, *, parent_id: str, text: str, idempotency_key: str) -> str:
        """A public status in reply to the fan's status (the text mentions them)."""
        body = {"status": text, "in_reply_to_id": parent_id, "visibility": "public"}
        headers = {"Idempotency-Key": idempotency_key}
        try:
            response = self.http.write_once("statuses", json=body, headers=headers)
        except httpx.TransportError as exc:
            raise base.ConnectorError.transient(f"Mastodon: {exc!r}", "unavailable") from exc
        if response.is_success:
            return str(response.json()["id"])
        raise mastodon_error(response)

    def _get(self, path: str, params: dict[str, Any] | None) -> tuple[Any, httpx.Response]:
        try:
            response = self.http.get(path, params=params)
        except RetriesExhausted as exc:
            raise base.ConnectorError.transient(f"Mastodon: {exc}", "unavailable") from exc
        if not response.is_success:
            raise mastodon_error(response)
        try:
            return response.json(), response
        except ValueError as exc:
            raise base.ConnectorError.transient(
                "Mastodon answered with invalid JSON", "bad_json"
            ) from exc


def mastodon_error(response: httpx.Response) -> base.ConnectorError:
    """Classify a Mastodon error ({"error": text}); the status code carries the meaning."""
    try:
        detail = str(response.json().get("error") or "")
    except (ValueError, AttributeError):
        detail = ""
    text = f"Mastodon HTTP {response.status_code}" + (f": {detail}" if detail else "")
    status = response.status_code
    if status == 401:
        return base.ConnectorError.needs_reauth(f"{text}; reconnect the account", "unauthorized")
    if status == 403:
        return base.ConnectorError.needs_reauth(f"{text}; the token lacks a scope", "forbidden")
    if status == 404:
        return base.ConnectorError(text, permanent=False, reason="not_found")
    if status == 410:
        return base.ConnectorError.gone(text, "gone")
    return base.ConnectorError.transient(text, f"http_{status}")


def plain_text(content: Any) -> str | None:
    if not isinstance(content, str):
        return None
    return html.unescape(TAG.sub("", content.replace("<br>", "\n").replace("</p><p>", "\n\n")))


def _user(account: dict[str, Any]) -> base.Record:
    return base.user(
        external_user_id=account["id"],
        username=account.get("acct") or account.get("username"),
        display_name=account.get("display_name") or None,
        profile_url=account.get("url"),
        avatar_url=account.get("avatar"),
        bio=plain_text(account.get("note")) or None,
        follower_count=account.get("followers_count"),
        verified=None,
    )


def _profile(account: dict[str, Any]) -> base.Profile | None:
    """An Account entity as a profile. Mastodon has no verified flag (a field's verified_at
    only proves the link points back), so `verified` is left unsaid."""
    try:
        count = account.get("followers_count")
        return base.Profile(
            external_user_id=base.require_text(account.get("id"), "id"),
            username=account.get("acct") or account.get("username"),
            display_name=account.get("display_name") or None,
            avatar_url=account.get("avatar"),
            bio=plain_text(account.get("note")) or None,
            follower_count=count if isinstance(count, int) else None,
            links=_links(account),
        )
    except (AttributeError, TypeError, ValueError):
        return None


def _links(account: dict[str, Any]) -> tuple[str, ...]:
    """Profile fields whose value is a link, then the links in the bio, each once."""
    found: list[str] = []
    for field in account.get("fields") or []:
        if isinstance(field, dict) and isinstance(field.get("value"), str):
            found.extend(_html_links(field["value"]))
    if isinstance(account.get("note"), str):
        found.extend(_html_links(account["note"]))
    return tuple(dict.fromkeys(found))


def _html_links(value: str) -> list[str]:
    """The targets of the anchors in Mastodon HTML (not mentions or hashtags); plain text
    that is a URL when there is no anchor (fields of older servers are not linkified)."""
    anchors = ANCHOR.findall(value)
    if not anchors:
        return URL.findall(html.unescape(TAG.sub(" ", value)))
    links = []
    for anchor in anchors:
        attributes = {k.lower(): html.unescape(v) for k, v in ATTRIBUTE.findall(anchor)}
        classes = set(attributes.get("class", "").split())
        href = attributes.get("href", "")
        if href.startswith(("http://", "https://")) and not classes & NOT_A_PROFILE_LINK:
            links.append(href)
    return links


def _created_text(status: dict[str, Any]) -> str:
    return base.checked_time(status["created_at"])


def _created(status: dict[str, Any]) -> Any:
    return parse_rfc3339(_created_text(status))


def _status_sig(status: dict[str, Any]) -> str:
    return ":".join(
        str(int(status.get(k) or 0)) for k in ("favourites_count", "reblogs_count", "replies_count")
    )


def _post_record(status: dict[str, Any]) -> base.Record:
    return {
        "type": "post",
        "platform": PLATFORM,
        "external_post_id": base.require_text(status["id"], "id"),
        "url": status.get("url"),
        "caption": plain_text(status.get("content")),
        "posted_at": _created_text(status),
        "metrics": {
            "likes": int(status.get("favourites_count") or 0),
            "comments": int(status.get("replies_count") or 0),
            "shares": int(status.get("reblogs_count") or 0),
        },
    }
