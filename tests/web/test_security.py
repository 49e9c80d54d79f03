"""Login rate limit, CSRF, sessions and headers, over HTTP (no browser needed)."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from fanlens.users import service as users
from tests.web.conftest import PASSWORD, Site

# One worker builds the served site for every test that uses it.
pytestmark = pytest.mark.xdist_group(name="site")


PAGES = ["/analytics", "/analytics/content", "/analytics/followers", "/analytics/health"]


def _csrf(client: httpx.Client) -> str:
    page = client.get("/login")
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, page.text
    return match.group(1)


def _client(site: Site) -> httpx.Client:
    return httpx.Client(base_url=site.base, follow_redirects=False, timeout=30)


def _login(client: httpx.Client, username: str, password: str) -> httpx.Response:
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": _csrf(client)}
    )


def test_pages_need_a_login_and_show_only_the_users_workspace(site: Site) -> None:
    with _client(site) as client:
        for path in PAGES:
            response = client.get(path)
            assert response.status_code == 303
            assert response.headers["location"] == f"/login?next={path}"
        assert _login(client, "amy", PASSWORD).status_code == 303
        for path in PAGES:
            assert client.get(path).status_code == 200
    with _client(site) as bob:
        assert _login(bob, "bob", PASSWORD).status_code == 303
        a_content = site.api("/content", limit=1)["items"][0]["id"]
        assert bob.get(f"/analytics/content/{a_content}").status_code == 404
        assert a_content not in bob.get("/analytics/content").text


def test_login_attempts_are_rate_limited_per_username_and_address(site: Site) -> None:
    with _client(site) as client:
        for _ in range(5):
            assert _login(client, "locked", "wrong password").status_code == 401
        blocked = _login(client, "locked", PASSWORD)  # even the right password waits now
        assert blocked.status_code == 429
        assert int(blocked.headers["retry-after"]) > 0
        assert "too many failed logins" in blocked.text
        assert _login(client, "amy", PASSWORD).status_code == 303  # other usernames go on


def test_forms_without_the_sessions_csrf_token_are_refused(site: Site) -> None:
    with _client(site) as client:
        no_token = client.post("/login", data={"username": "amy", "password": PASSWORD})
        assert no_token.status_code == 403
        with _client(site) as other:
            foreign = _csrf(other)  # a token of another session is worth nothing here
        _csrf(client)
        wrong = client.post(
            "/login", data={"username": "amy", "password": PASSWORD, "csrf_token": foreign}
        )
        assert wrong.status_code == 403
        assert _login(client, "amy", PASSWORD).status_code == 303
        assert client.post("/logout", data={"csrf_token": foreign}).status_code == 403
        assert client.get("/analytics").status_code == 200  # still logged in
        with site.engine.connect() as conn:
            comment_id = conn.execute(
                text("SELECT interaction_id FROM comment_sentiments LIMIT 1")
            ).scalar_one()
        forged = client.post(
            f"/analytics/comments/{comment_id}/sentiment",
            data={"label": "negative", "csrf_token": foreign},
        )
        assert forged.status_code == 403
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/analytics").text)
        assert token is not None
        assert client.post("/logout", data={"csrf_token": token.group(1)}).status_code == 303
        assert client.get("/analytics").status_code == 303


def test_a_read_user_sees_no_sentiment_form_and_is_refused(site: Site) -> None:
    reader = f"reader-{uuid.uuid4().hex[:8]}"
    with Session(site.engine) as session:
        users.create(
            session=session,
            workspace_id=site.ids["a"],
            username=reader,
            password=PASSWORD,
            scope="read",
        )
        session.commit()
    with site.engine.connect() as conn:
        comment = conn.execute(
            text(
                "SELECT s.interaction_id, coalesce(s.corrected_label, s.label) AS label,"
                " i.content_id FROM comment_sentiments s "
                "JOIN follower_interactions i ON i.id = s.interaction_id LIMIT 1"
            )
        ).one()
    with _client(site) as client:
        assert _login(client, reader, PASSWORD).status_code == 303
        page = client.get(f"/analytics/content/{comment.content_id}")
        assert page.status_code == 200 and 'class="correct"' not in page.text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token is not None
        label = "negative" if comment.label != "negative" else "positive"
        refused = client.post(
            f"/analytics/comments/{comment.interaction_id}/sentiment",
            data={"label": label, "csrf_token": token.group(1)},
        )
        assert refused.status_code == 403 and "read access" in refused.text
    with site.engine.connect() as conn:
        after = conn.execute(
            text(
                "SELECT coalesce(corrected_label, label) FROM comment_sentiments"
                " WHERE interaction_id = :i"
            ),
            {"i": comment.interaction_id},
        ).scalar_one()
    assert after == comment.label


def test_a_tampered_session_cookie_is_ignored(site: Site) -> None:
    with _client(site) as client:
        assert _login(client, "amy", PASSWORD).status_code == 303
        cookie = client.cookies["fanlens_session"]
        client.cookies.set("fanlens_session", cookie[:-2] + ("AA" if cookie[-2:] != "AA" else "BB"))
        assert client.get("/analytics").status_code == 303


def test_security_headers_on_pages_api_static_and_errors(site: Site) -> None:
    with _client(site) as client:
        _login(client, "amy", PASSWORD)
        for path in [*PAGES, "/login", "/static/app.css", "/analytics/content/x", "/healthz"]:
            headers = client.get(path).headers
            policy = headers["content-security-policy"]
            script_src = re.search(r"script-src ([^;]+)", policy)
            assert script_src and "unsafe-inline" not in script_src.group(1), path
            assert "frame-ancestors 'none'" in policy
            assert headers["x-frame-options"] == "DENY"
            assert headers["x-content-type-options"] == "nosniff"
            assert headers["referrer-policy"] == "same-origin"
        cookie = client.get("/login").headers.get("set-cookie", "")
        login_cookie = _login(httpx.Client(base_url=site.base), "amy", PASSWORD)
        assert "httponly" in login_cookie.headers["set-cookie"].lower()
        assert "samesite=lax" in login_cookie.headers["set-cookie"].lower()
        del cookie


def test_charts_library_is_served_by_fanlens(site: Site) -> None:
    response = httpx.get(f"{site.base}/static/vendor/plotly.min.js", timeout=30)
    assert response.status_code == 200 and response.headers["content-type"].startswith(
        "text/javascript"
    )
    assert b"plotly" in response.content[:2000].lower()


def test_bad_input_on_pages_is_a_page_not_a_500(site: Site) -> None:
    with _client(site) as client:
        _login(client, "amy", PASSWORD)
        for path, status in [
            ("/analytics/content?cursor=garbage", 400),
            ("/analytics/followers?cursor=eyJ4IjoxfQ&sort=username", 400),
            ("/analytics/followers?min_score=abc&tier=nope&sort=nope", 200),
            ("/analytics/content?q=%00x&platform=%00", 200),
            ("/analytics/followers/%00", 404),
        ]:
            response = client.get(path)
            assert response.status_code == status, (path, response.text[:300])
            assert response.headers["content-type"].startswith("text/html")
