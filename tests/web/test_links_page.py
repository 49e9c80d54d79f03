"""The content linking page on workspace "linking": Link selected and Unlink in Chromium, Link
all at or above a similarity, and the forms' CSRF and input checks over HTTP."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from fanlens.content import link_batch, linking
from fanlens.content.models import ContentPost
from fanlens.content.schemas import LinkSuggestion
from tests.web.conftest import PASSWORD, Site, Tab, login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group(name="site"),  # one worker builds the served site and the browser
]
PAGE = "/analytics/links"


def _suggestions(site: Site) -> list[LinkSuggestion]:
    with Session(site.engine) as s:
        return linking.suggestions(session=s, workspace_id=site.ids["linking"], limit=None)


def _items(site: Site, *post_ids: uuid.UUID) -> list[uuid.UUID]:
    with Session(site.engine) as s:
        stmt = select(ContentPost.id, ContentPost.content_id).where(ContentPost.id.in_(post_ids))
        rows = {r.id: r.content_id for r in s.execute(stmt)}
    return [rows[i] for i in post_ids]


def _decisions(site: Site) -> dict[tuple[uuid.UUID, uuid.UUID], str]:
    with Session(site.engine) as s:
        found = linking.decisions(session=s, workspace_id=site.ids["linking"])
    return {(d.post_id, d.other_post_id): d.decision for d in found}


@pytest.fixture
def lin(browser: Any, site: Site) -> Iterator[Tab]:
    """User "lin" of workspace "linking", in a browser context of its own."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None
    )
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    login(page, site.base, "lin")
    page.wait_for_url(f"{site.base}/analytics")
    yield Tab(page, problems)
    context.close()


def _row(s: LinkSuggestion) -> str:
    return f"#link-suggestions tr[data-post='{s.post.id}'][data-other='{s.other_post.id}']"


def test_link_selected_then_unlink_one(lin: Tab, site: Site) -> None:
    page = lin.page
    page.goto(f"{site.base}{PAGE}")
    before = _suggestions(site)
    assert page.text_content("#link-count") == f"{len(before)} pending"
    first = before[0]
    taken = {first.post.id, first.other_post.id}
    second = next(s for s in before if taken.isdisjoint({s.post.id, s.other_post.id}))

    for s in (first, second):
        page.check(f"{_row(s)} input[type=checkbox]")
    page.click("#link-selected-button")
    page.wait_for_selector("#link-notice")

    assert (page.text_content("#link-notice") or "").split()[:3] == ["Linked", "2", "pairs."]
    after = _suggestions(site)
    assert len(after) <= len(before) - 2
    assert page.text_content("#link-count") == f"{len(after)} pending"
    for s in (first, second):
        assert page.locator(_row(s)).count() == 0
        assert _items(site, s.post.id, s.other_post.id) == [s.post.content_id] * 2
    moved = first.other_post
    assert page.locator(f"#link-decisions tr[data-moved='{moved.id}']").count() == 1
    lin.shot("links-linked")

    posted: list[str] = []
    page.on("request", lambda r: posted.append(r.url) if r.method == "POST" else None)
    unlink = f"#link-decisions tr[data-moved='{moved.id}'] button:has-text('Unlink')"
    page.once("dialog", lambda dialog: dialog.dismiss())  # forms.js asks first: "no"
    page.click(unlink)
    page.once("dialog", lambda dialog: dialog.accept())
    page.click(unlink)
    page.wait_for_url(re.compile(r"done=unlink"))
    assert posted == [f"{site.base}{PAGE}"]  # only the confirmed click was sent

    assert "Unlinked 1 post." in (page.text_content("#link-notice") or "")
    assert _items(site, moved.id) == [moved.content_id]  # back in its own item
    assert _decisions(site)[linking._pair(first.post.id, moved.id)] == "rejected"
    # The pair now counts as rejected: not suggested again, and shown as "not the same".
    assert page.locator(_row(first)).count() == 0
    assert page.text_content("#link-count") == f"{len(_suggestions(site))} pending"
    assert page.locator("#link-decisions tr[data-decision=rejected]").count() == 1
    assert lin.problems == []


@contextmanager
def _logged_in(site: Site, username: str = "lin") -> Iterator[tuple[httpx.Client, str]]:
    """An HTTP client logged in as `username`, and the page's CSRF token."""
    with httpx.Client(base_url=site.base, follow_redirects=False, timeout=60) as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
        assert token
        form = {"username": username, "password": PASSWORD, "csrf_token": token.group(1)}
        assert client.post("/login", data=form).status_code == 303
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(PAGE).text)
        assert token
        yield client, token.group(1)


def test_the_header_box_ticks_every_row_of_its_table(lin: Tab, site: Site) -> None:
    page = lin.page
    page.goto(f"{site.base}{PAGE}")
    rows = page.locator("#link-suggestions tbody input[type=checkbox]")
    assert rows.count() == min(len(_suggestions(site)), 100) > 0
    page.check("input[data-select-all=link-selected]")
    assert all(rows.nth(i).is_checked() for i in range(rows.count()))
    assert page.locator("#link-decisions tbody input:checked").count() == 0  # the other table
    page.uncheck("input[data-select-all=link-selected]")
    assert page.locator("#link-suggestions tbody input:checked").count() == 0
    assert lin.problems == []


def test_link_all_at_or_above_a_similarity(site: Site) -> None:
    with Session(site.engine) as s:
        pending = link_batch.pending_above(
            session=s, workspace_id=site.ids["linking"], min_similarity=1
        )
    assert pending
    with _logged_in(site) as (client, csrf):
        shown = client.get(PAGE, params={"at_least": 100}).text
        assert f"{len(pending)} pair{'s' if len(pending) > 1 else ''} at ≥ 100 %" in shown
        decided = len(_decisions(site))

        done = client.post(f"{PAGE}/bulk", data={"at_least": "100", "csrf_token": csrf})

        assert done.status_code == 303
        query = dict(httpx.URL(done.headers["location"]).params)
        linked = int(query.get("linked", 0))
        skipped = sum(int(v) for k, v in query.items() if k.startswith("skipped_"))
        assert linked > 0 and linked + skipped == len(pending)
        assert len(_decisions(site)) == decided + linked
        notice = client.get(done.headers["location"]).text
        assert re.search(rf"Linked {linked} pairs?\.", notice)
        again = client.post(f"{PAGE}/bulk", data={"at_least": "100", "csrf_token": csrf})
        assert "linked=" not in again.headers["location"]  # nothing left to link: a re-run
        assert len(_decisions(site)) == decided + linked


def test_link_forms_need_the_csrf_token_and_sane_input(site: Site) -> None:
    pair = ".".join(str(uuid.uuid4()) for _ in range(4))
    with _logged_in(site) as (client, csrf):
        for path, form in [
            (f"{PAGE}/bulk", {"pair": pair}),
            (f"{PAGE}/bulk", {"at_least": "90"}),
            (f"{PAGE}/unlink", {"post_id": str(uuid.uuid4())}),
            (PAGE, {"action": "accept", "post_id": str(uuid.uuid4()), "pair": pair}),
        ]:
            assert client.post(path, data=form).status_code == 403, path
            assert client.post(path, data={**form, "csrf_token": "x"}).status_code == 403, path
        bad: list[tuple[str, dict[str, Any]]] = [
            (f"{PAGE}/bulk", {}),
            (f"{PAGE}/bulk", {"pair": "not-a-pair"}),
            (f"{PAGE}/bulk", {"pair": [pair] * 501}),
            (f"{PAGE}/bulk", {"at_least": "150"}),
            (f"{PAGE}/bulk", {"at_least": "ninety"}),
            (f"{PAGE}/unlink", {}),
            (f"{PAGE}/unlink", {"post_id": "nope"}),
            (PAGE, {"action": "explode", "post_id": str(uuid.uuid4())}),
        ]
        for path, form in bad:
            answer = client.post(path, data={**form, "csrf_token": csrf})
            assert answer.status_code == 400, (path, form, answer.status_code)
        gone = client.post(f"{PAGE}/bulk", data={"pair": pair, "csrf_token": csrf})
        assert gone.status_code == 303 and "skipped_not_found=1" in gone.headers["location"]
        spoofed = client.get(PAGE, params={"done": "link", "linked": "<b>9</b>"}).text
        assert "Linked 0 pairs." in spoofed and "<b>9" not in spoofed
    with httpx.Client(base_url=site.base, follow_redirects=False, timeout=60) as anonymous:
        answer = anonymous.post(f"{PAGE}/bulk", data={"at_least": "90"})
        assert answer.status_code == 303 and "/login" in answer.headers["location"]


def test_a_rows_link_twice_and_not_the_same(site: Site) -> None:
    first, second = _suggestions(site)[:2]
    pair = ".".join(
        str(i)
        for i in (
            first.post.id,
            first.post.content_id,
            first.other_post.id,
            first.other_post.content_id,
        )
    )
    row = {"action": "accept", "post_id": str(first.post.id), "pair": pair}
    with _logged_in(site) as (client, csrf):
        linked = client.post(PAGE, data={**row, "csrf_token": csrf})
        assert linked.headers["location"] == f"{PAGE}?done=link&linked=1"
        twice = client.post(PAGE, data={**row, "csrf_token": csrf})  # a double click
        assert twice.headers["location"] == f"{PAGE}?done=link&skipped_linked=1"
        assert "1 already one content item." in client.get(twice.headers["location"]).text
        assert _items(site, first.other_post.id) == [first.post.content_id]

        not_same = {"action": "reject", "post_id": str(second.post.id)}
        not_same["other_post_id"] = str(second.other_post.id)
        rejected = client.post(PAGE, data={**not_same, "csrf_token": csrf})
        assert rejected.headers["location"] == f"{PAGE}?done=reject&rejected=1"
        assert "Marked the pair as not the same." in client.get(rejected.headers["location"]).text
    key = linking._pair(second.post.id, second.other_post.id)
    assert _decisions(site)[key] == "rejected"


def test_a_read_user_sees_the_suggestions_and_cannot_link(site: Site) -> None:
    first = _suggestions(site)[0]
    pair = ".".join(
        str(i)
        for i in (
            first.post.id,
            first.post.content_id,
            first.other_post.id,
            first.other_post.content_id,
        )
    )
    decided = _decisions(site)
    with _logged_in(site, "lina") as (client, csrf):
        page = client.get(PAGE).text
        assert f"{len(_suggestions(site))} pending" in page and 'id="read-only"' in page
        assert "Link selected" not in page and 'value="accept"' not in page
        for path, form in [
            (f"{PAGE}/bulk", {"pair": pair}),
            (f"{PAGE}/bulk", {"at_least": "50"}),
            (f"{PAGE}/unlink", {"post_id": str(first.other_post.id)}),
            (PAGE, {"action": "accept", "post_id": str(first.post.id), "pair": pair}),
        ]:
            answer = client.post(path, data={**form, "csrf_token": csrf})
            assert answer.status_code == 403 and "read access" in answer.text, path
    assert _decisions(site) == decided
    assert _items(site, first.other_post.id) == [first.other_post.content_id]
