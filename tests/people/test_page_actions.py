"""The people pages' buttons over HTTP: CSRF, the write scope, clear answers to bad input."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.people.page_world import PeopleWorld, build
from tests.web.conftest import PASSWORD, Site, site  # noqa: F401  (fixture)
from tests.web.test_security import _client, _login

pytestmark = pytest.mark.xdist_group(name="site")
PEOPLE = "/analytics/people"


@pytest.fixture(scope="module")
def world(site: Site) -> PeopleWorld:  # noqa: F811
    return build(site)


@pytest.fixture
def writer(site: Site, world: PeopleWorld) -> Iterator[httpx.Client]:  # noqa: F811
    with _client(site) as client:
        assert _login(client, world.writer, PASSWORD).status_code == 303
        yield client


def _token(client: httpx.Client, path: str = PEOPLE) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found
    return found.group(1)


def test_the_leaderboard_tells_people_with_one_name_apart(
    writer: httpx.Client, world: PeopleWorld
) -> None:
    page = writer.get(PEOPLE).text
    board = page[page.index('id="people-leaderboard"') : page.index('id="influential"')]
    viks = [row for row in board.split("<tr") if ">Vik</a>" in row]
    assert len(viks) == 3  # three people named Vik, each shown with their handle and platform
    shown = sorted(re.findall(r"platform-(\w+)\">\w+</span> @(\w+)", "".join(viks)))
    assert shown == [("bluesky", "vik_other"), ("tiktok", "vik_k"), ("youtube", "vik_k")]
    for follower in ("yt-vik", "tt-vik", "bs-vik"):
        assert f'href="/analytics/followers/{world.follower[follower]}"' in "".join(viks)


def test_suggestions_show_both_identities_their_evidence_and_buttons(
    site: Site,  # noqa: F811
    writer: httpx.Client,
    world: PeopleWorld,
) -> None:
    vik = world.suggestion(site, "yt-vik", "tt-vik")
    page = writer.get(PEOPLE).text
    row = page.split(f'data-suggestion="{vik.id}"')[1].split("</tr>")[0]
    assert "0.80" in row and "same handle @vik_k, same display name" in row
    for follower in ("yt-vik", "tt-vik"):
        assert f'href="/analytics/followers/{world.follower[follower]}"' in row
    assert f'action="/analytics/people/suggestions/{vik.id}"' in row
    assert 'value="accept"' in row and 'value="reject"' in row
    pending = world.one(
        site,
        "SELECT count(*) AS n FROM person_suggestions WHERE workspace_id = :ws "
        "AND status = 'pending'",
    ).n
    assert page.count("data-suggestion=") == pending
    assert f'id="pending-count">{pending}</span>' in page
    merged = page.split('id="merged"')[1].split("</table>")[0]  # the link pair merged itself
    assert "@linky" in merged and "Unmerge" in merged


def test_a_read_user_sees_no_buttons_and_is_refused(site: Site, world: PeopleWorld) -> None:  # noqa: F811
    vik = world.suggestion(site, "yt-vik", "tt-vik")
    with _client(site) as reader:
        assert _login(reader, world.reader, PASSWORD).status_code == 303
        page = reader.get(PEOPLE).text
        assert f'data-suggestion="{vik.id}"' in page  # the same data, without the buttons
        assert "/analytics/people/suggestions/" not in page and '/undo"' not in page
        person = reader.get(f"{PEOPLE}/{world.person_of(site, 'ma-sam')}").text
        assert 'id="merge-form"' not in person
        refused = reader.post(
            f"{PEOPLE}/suggestions/{vik.id}",
            data={"action": "accept", "csrf_token": _token(reader)},
        )
        assert refused.status_code == 403 and "read access" in refused.text
        assert "<html" in refused.text  # a page, not JSON
    assert world.suggestion(site, "yt-vik", "tt-vik").status == "pending"


def test_forms_need_this_sessions_csrf_token(
    site: Site,  # noqa: F811
    writer: httpx.Client,
    world: PeopleWorld,
) -> None:
    vik = world.suggestion(site, "yt-vik", "tt-vik")
    with _client(site) as other:
        foreign = _token(other, "/login")
    for token in ("", foreign):
        answer = writer.post(
            f"{PEOPLE}/suggestions/{vik.id}", data={"action": "accept", "csrf_token": token}
        )
        assert answer.status_code == 403 and "form expired" in answer.text
    undo = writer.post(f"{PEOPLE}/merges/{uuid.uuid4()}/undo", data={"csrf_token": foreign})
    assert undo.status_code == 403
    assert world.suggestion(site, "yt-vik", "tt-vik").status == "pending"


def test_merge_by_handle_and_unmerge_then_bad_input_answers_clearly(
    site: Site,  # noqa: F811
    writer: httpx.Client,
    world: PeopleWorld,
) -> None:
    sam = world.person_of(site, "ma-sam")
    token = _token(writer, f"{PEOPLE}/{sam}")

    def post(path: str, **data: str) -> httpx.Response:
        return writer.post(path, data={"csrf_token": token, **data})

    merged = post(f"{PEOPLE}/{sam}/merge", handle="@SAM", platform="instagram")
    assert merged.status_code == 303
    assert merged.headers["location"] == f"{PEOPLE}/{sam}?done=merged-by-hand"
    assert world.person_of(site, "ig-sam") == sam
    page = writer.get(merged.headers["location"]).text
    assert 'id="notice"' in page and "belongs to this person now" in page
    merge_id = re.findall(r'data-merge="([^"]+)"', page)[-1]
    undone = post(f"{PEOPLE}/merges/{merge_id}/undo")
    assert undone.status_code == 303 and undone.headers["location"].endswith("?done=unmerged")
    assert world.person_of(site, "ig-sam") != sam

    vik = world.suggestion(site, "yt-vik", "tt-vik")
    cases = [
        (post(f"{PEOPLE}/merges/{merge_id}/undo"), 409, "already undone"),
        (post(f"{PEOPLE}/merges/not-a-merge/undo"), 404, "no merge"),
        (post(f"{PEOPLE}/suggestions/{uuid.uuid4()}", action="accept"), 404, "no suggestion"),
        (post(f"{PEOPLE}/suggestions/{vik.id}", action="maybe"), 400, "accept or reject"),
        (post(f"{PEOPLE}/{sam}/merge", handle="@nobody"), 404, "no identity @nobody"),
        (post(f"{PEOPLE}/{sam}/merge", handle="vik_k"), 400, "choose the platform"),
        (post(f"{PEOPLE}/{sam}/merge", handle="sam", platform="mastodon"), 400, "already"),
        (post(f"{PEOPLE}/{sam}/merge", handle="  "), 400, "give the handle"),
        (post(f"{PEOPLE}/{uuid.uuid4()}/merge", handle="sam"), 404, "no person"),
    ]
    for answer, status, words in cases:
        assert (answer.status_code, words in answer.text) == (status, True), answer.text[-600:]

    sams = world.suggestion(site, "ma-sam", "ig-sam")
    rejected = post(f"{PEOPLE}/suggestions/{sams.id}", action="reject", next=f"{PEOPLE}/{sam}")
    assert rejected.headers["location"] == f"{PEOPLE}/{sam}?done=rejected"
    assert world.suggestion(site, "ma-sam", "ig-sam").status == "rejected"
    again = post(f"{PEOPLE}/suggestions/{sams.id}", action="accept")
    assert again.status_code == 409 and "already rejected" in again.text
    elsewhere = post(f"{PEOPLE}/suggestions/{sams.id}", action="reject", next="//evil.example")
    assert elsewhere.status_code == 409  # decided already; and `next` never leaves the site
