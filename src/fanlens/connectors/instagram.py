"""Instagram Graph API (professional accounts): media with their insights, comments, replies.

Instagram does not list who liked a post, so likes stay counts on the post; the interactions
collected are comments and replies, each with its own timestamp. Insights are asked one metric
per request: asking for several fails the whole request when the platform has retired any one
of them, so a retired metric costs one call and is recorded (per account, metric and media
type) for the data-health page instead of losing every metric.

The Business Use Case usage headers say how much of the budget is spent; at 100 % the
connector stops calling until the platform's estimate of regained access has passed. The
long-lived token is refreshed well before it expires and the new one stored at once.

Mentions (a fan @mentioning the creator in a comment or a caption, usually on someone else's
media) are not listed by any edge: a `mentions` webhook names the ids, and `mention_record`
reads the text, author and `timestamp` of one from the creator's node
(`mentioned_comment.comment_id(...)` or `mentioned_media.media_id(...)`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx

from fanlens.config import settings
from fanlens.connectors import base, paging
from fanlens.kit.http import HttpClient, HttpOptions, RetriesExhausted, budget_for
from fanlens.kit.timeutil import parse_rfc3339, to_rfc3339, utcnow

PLATFORM = "instagram"
API_VERSION = "v22.0"
POSTS = base.Stream("posts", ("external_post_id",), "posted_at", None, timedelta(days=7))
COMMENTS = base.Stream("comments", ("external_id",), None)
MEDIA_FIELDS = (
    "id,caption,media_type,media_product_type,permalink,timestamp,like_count,comments_count"
)
REPLY_FIELDS = "id,text,timestamp,username,like_count,from{id,username},parent_id"
# The first page of replies rides along with each comment; /{comment-id}/replies is called
# only for the rest, so a post with thousands of comments does not cost a call per comment.
COMMENT_FIELDS = f"{REPLY_FIELDS},replies{{{REPLY_FIELDS}}}"
PAGE = 50
# IG Comment fields of a mentioned comment (`from` as on comments, so the fan is the same
# follower; the media's `owner`, returned only when the creator made the media), IG Media
# fields of a mentioned caption (no author id: the media is not the creator's).
MENTIONED_COMMENT_FIELDS = "id,text,timestamp,username,from{id,username},media{id,owner}"
MENTIONED_MEDIA_FIELDS = "id,caption,timestamp,username"
# Metrics asked per media product type; each is its own request (see the module docstring).
INSIGHTS = {
    "FEED": ("views", "reach", "saved", "shares", "total_interactions"),
    "REELS": ("views", "reach", "saved", "shares", "total_interactions", "ig_reels_avg_watch_time"),
}
STORED_AS = {"saved": "saves"}  # the post's own metric names; the rest go to extra metrics
# Graph error codes (developers.facebook.com/docs/graph-api/guides/error-handling).
THROTTLED = {4, 17, 32, 613, 80001, 80002, 80006}
TRANSIENT = {1, 2}
THROTTLE_TRIES = 5
REFRESH_WHEN_LEFT = timedelta(days=50)  # long-lived tokens last 60 days from their refresh
TOKEN_LIFETIME = timedelta(days=60)


class InstagramConnector(base.Connector):
    platform = PLATFORM
    streams = (POSTS, COMMENTS)

    def __init__(self, account: base.AccountConfig, http: HttpClient) -> None:
        super().__init__(account, http)
        self.credentials = dict(account.credentials)
        self.unsupported: set[tuple[str, str]] = set()  # (metric, product type) this sync
        self.retired: list[base.RetiredMetric] = []  # not yet handed to a page

    @classmethod
    def from_account(cls, account: base.AccountConfig, options: HttpOptions) -> InstagramConnector:
        http = HttpClient(
            base_url=settings.instagram_base_url,
            budget=budget_for(PLATFORM, account.external_id),
            options=options,
        )
        return cls(account, http)

    def resolve(self) -> str | None:
        self._refresh_token_if_due()
        try:
            body = self._get(self.account.external_id, {"fields": "id,username,name"})
        except base.ConnectorError as exc:
            if exc.reason == "not_found":
                raise base.ConnectorError.gone(
                    f"Instagram account {self.account.external_id} no longer exists", "not_found"
                ) from exc
            raise
        return str(body.get("name") or body.get("username") or self.account.handle)

    def read(
        self, stream: base.Stream, state: base.State, *, full: bool, posts: dict[str, Any]
    ) -> Iterator[base.Page]:
        if stream is POSTS:
            pages = paging.cursor_pass(
                POSTS,
                state,
                full=full,
                fetch=self._media_page,
                position=paging.Position(key=_posted, value=_posted_text, load=parse_rfc3339),
                to_records=lambda m: [self._post_record(m)],
                stop_before=POSTS.since(state, full=full),
                on_page=paging.remember_posts(
                    lambda m: str(m.get("comments_count", "?")), lambda m: m["id"], _posted_text
                ),
            )
            for page in pages:
                page.retired_metrics, self.retired = self.retired, []
                yield page
        elif stream is COMMENTS:
            yield from paging.engagement_pass(
                COMMENTS, state, posts, full=full, read_post=self._media_comments
            )

    # -- media and insights ---------------------------------------------------------------

    def _media_page(self, after: str | None) -> tuple[list[Any], str | None]:
        params = {"fields": MEDIA_FIELDS, "limit": PAGE, **({"after": after} if after else {})}
        return self._collection(f"{self.account.external_id}/media", params)

    def _post_record(self, media: dict[str, Any]) -> base.Record:
        media_id = base.require_text(media["id"], "id")
        metrics = {
            name: int(media[key])
            for name, key in (("likes", "like_count"), ("comments", "comments_count"))
            if media.get(key) is not None  # like counts hidden by the owner are left out
        }
        insights = self._insights(media_id, str(media.get("media_product_type") or "FEED"))
        metrics |= {STORED_AS.get(name, name): value for name, value in insights.items()}
        return {
            "type": "post",
            "platform": PLATFORM,
            "external_post_id": media_id,
            "url": media.get("permalink"),
            "caption": media.get("caption"),
            "posted_at": _posted_text(media),
            "metrics": metrics,
        }

    def _insights(self, media_id: str, product: str) -> dict[str, int]:
        values: dict[str, int] = {}
        for metric in INSIGHTS.get(product, INSIGHTS["FEED"]):
            if (metric, product) in self.unsupported:
                continue
            try:
                body = self._get(f"{media_id}/insights", {"metric": metric, "period": "lifetime"})
            except base.ConnectorError as exc:
                if exc.reason == "not_found":  # deleted since it was listed
                    return values
                if exc.reason != "invalid_parameter":
                    raise
                # We asked for this one metric only, so the refusal is about it.
                self.unsupported.add((metric, product))
                self.retired.append(base.RetiredMetric(metric, product, exc.message))
                continue
            value = _metric_value(body, metric)
            if value is not None:  # no data yet: the platform answers an empty list
                values[metric] = value
        return values

    # -- comments -------------------------------------------------------------------------

    def _media_comments(
        self, media_id: str, _info: dict[str, Any]
    ) -> tuple[list[base.Record], list[Any]]:
        records: list[base.Record] = []
        rejects: list[Any] = []
        try:
            for comments in self._pages(f"{media_id}/comments"):
                recs, rejs = base.convert(COMMENTS, comments, lambda c: self._thread(c, media_id))
                records.extend(recs)
                rejects.extend(rejs)
        except base.ConnectorError as exc:
            if exc.reason != "not_found":  # a media deleted since it was listed is skipped
                raise
        return records, rejects

    def _thread(self, comment: dict[str, Any], media_id: str) -> list[base.Record]:
        records = [self._comment(comment, media_id, "comment")]
        comment_id = base.require_text(comment["id"], "id")
        nested = comment.get("replies") or {}
        replies = list(nested.get("data") or [])
        paging = nested.get("paging") or {}
        if paging.get("next"):
            after = (paging.get("cursors") or {}).get("after")
            for more in self._pages(f"{comment_id}/replies", after, REPLY_FIELDS):
                replies.extend(more)
        records.extend(self._comment(r, media_id, "reply", comment_id) for r in replies)
        return [r for r in records if r]

    def _comment(
        self, comment: dict[str, Any], media_id: str, kind: str, parent: str | None = None
    ) -> base.Record:
        return comment_record(
            comment,
            media_id,
            creator_id=self.account.external_id,
            parent=(comment.get("parent_id") or parent) if kind == "reply" else None,
            timestamp=comment["timestamp"],
        )

    def _pages(
        self, edge: str, after: str | None = None, fields: str = COMMENT_FIELDS
    ) -> Iterator[list[Any]]:
        while True:
            params = {
                "fields": fields,
                "limit": PAGE,
                **({"after": after} if after else {}),
            }
            items, after = self._collection(edge, params)
            yield items
            if after is None:
                return

    # -- mentions -------------------------------------------------------------------------

    def mention_record(self, value: dict[str, Any]) -> base.Record:
        """The `mention` of a `mentions` webhook value (`media_id`, and `comment_id` for a
        mention in a comment), read once from the Graph API with its exact `timestamp`. A
        throttled or failing read raises at once: a webhook is answered in seconds."""
        media_id = base.require_text(value.get("media_id"), "media_id")
        comment_id = value.get("comment_id")
        if comment_id is not None:
            comment_id = base.require_text(comment_id, "comment_id")
            edge = f"mentioned_comment.comment_id({comment_id}){{{MENTIONED_COMMENT_FIELDS}}}"
        else:
            edge = f"mentioned_media.media_id({media_id}){{{MENTIONED_MEDIA_FIELDS}}}"
        body = self._get(self.account.external_id, {"fields": edge}, tries=1)
        found = body.get("mentioned_comment" if comment_id else "mentioned_media")
        if not isinstance(found, dict):
            raise ValueError(
                f"Instagram answered no mentioned {'comment' if comment_id else 'media'}"
            )
        return mention_record(
            found,
            external_id=comment_id or media_id,
            text=found.get("text") if comment_id else found.get("caption"),
            creator_id=self.account.external_id,
        )

    # -- tokens ---------------------------------------------------------------------------

    def _refresh_token_if_due(self) -> None:
        """Refresh the long-lived token once it is ten days old (it must be a day old to be
        refreshed and dies after 60): a sync every few weeks still keeps it alive."""
        expires_at = self.credentials.get("expires_at")
        if expires_at and parse_rfc3339(expires_at) - utcnow() > REFRESH_WHEN_LEFT:
            return
        try:
            body = self._get(
                "refresh_access_token", {"grant_type": "ig_refresh_token"}, versioned=False
            )
        except base.ConnectorError as exc:
            if exc.account_status:
                raise
            return  # e.g. a token under a day old: keep using it, refresh next time
        lifetime = timedelta(seconds=int(body.get("expires_in") or TOKEN_LIFETIME.total_seconds()))
        self.credentials |= {
            "access_token": base.require_text(body.get("access_token"), "access_token"),
            "expires_at": to_rfc3339(utcnow() + lifetime),
        }
        self.save_credentials(self.credentials)

    # -- HTTP, usage and errors -----------------------------------------------------------

    def _collection(self, path: str, params: dict[str, Any]) -> tuple[list[Any], str | None]:
        body = self._get(path, params)
        paging = body.get("paging") or {}
        after = (paging.get("cursors") or {}).get("after") if paging.get("next") else None
        return list(body.get("data") or []), after

    def _get(
        self,
        path: str,
        params: dict[str, Any],
        *,
        versioned: bool = True,
        tries: int = THROTTLE_TRIES,
    ) -> dict[str, Any]:
        url = f"{API_VERSION}/{path}" if versioned else path
        token = str(self.credentials.get("access_token", ""))
        headers = {"Authorization": f"Bearer {token}"}
        if not versioned:  # the refresh endpoint takes the token as a parameter only
            params, headers = {**params, "access_token": token}, {}
        for attempt in range(tries):
            try:
                response = self.http.get(url, params=params, headers=headers)
            except RetriesExhausted as exc:
                raise base.ConnectorError.transient(f"Instagram: {exc}", "unavailable") from exc
            if response.is_success:
                self._pace(response)
                return _json(response)
            error = graph_error(response)
            if error.reason != "throttled" or tries == 1:  # one try: no wait either
                raise error
            self._wait(response, attempt)
        raise base.ConnectorError.transient("Instagram: still throttled after waiting", "throttled")

    def _pace(self, response: httpx.Response) -> None:
        """At 100 % of a usage budget, stop calling until access is regained."""
        spent, regain = usage(response)
        if spent >= 100:
            self.http.options.sleep(max(regain, 1) * 60.0)

    def _wait(self, response: httpx.Response, attempt: int) -> None:
        _, regain = usage(response)
        self.http.options.sleep(regain * 60.0 if regain else 60.0 * 2**attempt)


def comment_record(
    comment: dict[str, Any],
    media_id: str,
    *,
    creator_id: str,
    parent: str | None,
    timestamp: Any,
) -> base.Record:
    """A comment (a reply when it has a parent) as the poller and the webhook both store it,
    so either one storing it first makes the other's copy a duplicate (same type and id).
    Without a `timestamp` (webhooks carry none) it is stored with the time it was observed."""
    author = comment.get("from") or {}
    username = comment.get("username") or author.get("username")
    # `from` is missing for some users: the username is then the only identity there is.
    user_id = base.require_text(author.get("id") or username, "from.id")
    if user_id == creator_id:
        return {}  # the creator's own comments are not fan activity
    return base.interaction(
        PLATFORM,
        "reply" if parent else "comment",
        base.user(external_user_id=user_id, username=username),
        external_post_id=media_id,
        external_id=base.require_text(comment["id"], "id"),
        text=comment.get("text"),
        parent_external_id=parent,
        occurred_at=graph_time(timestamp) if timestamp is not None else None,
    )


def mention_record(
    found: dict[str, Any], *, external_id: str, text: Any, creator_id: str
) -> base.Record:
    """A fan's @mention of the creator: no post (the media is another account's, not the
    creator's content), the comment's or the media's id, the platform's time. A caption names
    its author by `username` only, so that is the follower's id there. A mention in a comment
    on the creator's own media is left out: the poller and the `comments` webhook store that
    comment already, and it would count twice."""
    author = found.get("from") or {}
    username = found.get("username") or author.get("username")
    user_id = base.require_text(author.get("id") or username, "from.id")
    owner = ((found.get("media") or {}).get("owner") or {}).get("id")
    if creator_id in (user_id, owner):  # on the creator's media it is stored as a comment
        return {}
    return base.interaction(
        PLATFORM,
        "mention",
        base.user(external_user_id=user_id, username=username),
        external_id=external_id,
        text=text if isinstance(text, str) else None,
        occurred_at=graph_time(found.get("timestamp")),
    )


def usage(response: httpx.Response) -> tuple[int, int]:
    """The highest percentage spent in X-App-Usage / X-Business-Use-Case-Usage, and the
    longest estimated time (minutes) until access is regained."""
    spent, regain = 0, 0
    for entry in _usage_entries(response):
        for name in ("call_count", "total_cputime", "total_time"):
            spent = max(spent, _int(entry.get(name)))
        regain = max(regain, _int(entry.get("estimated_time_to_regain_access")))
    return spent, regain


def _usage_entries(response: httpx.Response) -> Iterator[dict[str, Any]]:
    for header in ("X-App-Usage", "X-Business-Use-Case-Usage", "X-Ad-Account-Usage"):
        try:
            value = json.loads(response.headers.get(header) or "null")
        except ValueError:
            continue
        if isinstance(value, dict) and "call_count" in value:
            yield value
        elif isinstance(value, dict):  # business use case: {object id: [entries]}
            for entries in value.values():
                yield from (e for e in entries or [] if isinstance(e, dict))


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def graph_error(response: httpx.Response) -> base.ConnectorError:
    """Classify a Graph API error body ({"error": {"code", "error_subcode", ...}})."""
    try:
        error = response.json()["error"]
        code = int(error.get("code"))
    except (ValueError, KeyError, TypeError):
        return base.ConnectorError.transient(f"Instagram HTTP {response.status_code}", "http_error")
    subcode = error.get("error_subcode")
    message = f"Instagram: {error.get('message') or response.status_code}"
    if code == 190 or code == 102:
        return base.ConnectorError.needs_reauth(
            f"{message} (reconnect the account)", f"oauth_{code}"
        )
    if code == 10 or 200 <= code <= 299:
        return base.ConnectorError.needs_reauth(f"{message} (reconnect the account)", "permission")
    if code in THROTTLED:
        return base.ConnectorError.transient(message, "throttled")
    if code == 100 and subcode == 33:
        return base.ConnectorError(message, permanent=True, reason="not_found")
    if code == 100:
        return base.ConnectorError(message, permanent=True, reason="invalid_parameter")
    if code in TRANSIENT or error.get("is_transient") or response.status_code >= 500:
        return base.ConnectorError.transient(message, f"graph_{code}")
    return base.ConnectorError(message, permanent=True, reason=f"graph_{code}")


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError as exc:
        raise base.ConnectorError.transient(
            "upstream answered with invalid JSON", "bad_json"
        ) from exc
    if not isinstance(body, dict):
        raise base.ConnectorError.transient("upstream answered with an unexpected body", "bad_json")
    return body


def _metric_value(body: dict[str, Any], metric: str) -> int | None:
    for item in body.get("data") or []:
        if isinstance(item, dict) and item.get("name") == metric:
            values = item.get("values") or []
            if values and isinstance(values[0].get("value"), int):
                return int(values[0]["value"])
            if isinstance(item.get("total_value"), dict):
                return _int(item["total_value"].get("value"))
    return None


_OFFSET = re.compile(r"([+-]\d{2})(\d{2})$")


def graph_time(value: Any) -> str:
    """Graph times carry a `+0000` offset; RFC 3339 wants `+00:00`."""
    return base.checked_time(_OFFSET.sub(r"\1:\2", base.require_text(value, "timestamp")))


def _posted_text(media: dict[str, Any]) -> str:
    return graph_time(media["timestamp"])


def _posted(media: dict[str, Any]) -> Any:
    return parse_rfc3339(_posted_text(media))
