"""Issue #21, findings 10-14, against a real server over sockets: the login limit under
concurrency and forged X-Forwarded-For, server-side sessions, links from imported data, CSV
formula escaping, Cache-Control and /metrics."""

from __future__ import annotations

import csv
import io
import re
import threading
from collections import Counter
from html.parser import HTMLParser
from urllib.parse import urlsplit

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.orm import Session

from fanlens.config import settings
from fanlens.server.app import create_app
from fanlens.users import service as users
from fanlens.web.rendering import http_url
from tests.helpers import fanlens_env, invoke_cli
from tests.web.conftest import API, FORMULA_TITLE, PASSWORD, Site, serve

# One worker builds the served site for every test that uses it.
pytestmark = pytest.mark.xdist_group(name="site")


def _client(base: str) -> httpx.Client:
    return httpx.Client(base_url=base, follow_redirects=False, timeout=60)


def _csrf(client: httpx.Client) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert match
    return match.group(1)


def _login(
    client: httpx.Client, username: str, password: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    form = {"username": username, "password": password, "csrf_token": _csrf(client)}
    return client.post("/login", data=form, headers=headers)


def _new_user(site: Site, username: str, workspace: str = "hostile") -> None:
    with Session(site.engine) as session:
        users.create(
            session=session, workspace_id=site.ids[workspace], username=username, password=PASSWORD
        )
        session.commit()


# 10. The login limit --------------------------------------------------------------------------


def test_concurrent_wrong_passwords_get_at_most_the_limit_of_checks(site: Site) -> None:
    _new_user(site, "racer")
    clients = [_client(site.base) for _ in range(40)]
    tokens = [_csrf(c) for c in clients]  # every client holds a session and its CSRF token
    start = threading.Barrier(len(clients))
    statuses: list[int] = []

    def guess(client: httpx.Client, token: str) -> None:
        form = {"username": "racer", "password": "wrong guess", "csrf_token": token}
        start.wait()
        statuses.append(client.post("/login", data=form).status_code)

    threads = [
        threading.Thread(target=guess, args=pair) for pair in zip(clients, tokens, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for c in clients:
        c.close()
    counts = Counter(statuses)
    assert set(counts) <= {401, 429} and sum(counts.values()) == 40, counts
    assert counts[401] == settings.login_max_attempts, counts  # one password check each
    with _client(site.base) as client:
        assert _login(client, "racer", PASSWORD).status_code == 429  # the window is used up


def test_a_forged_x_forwarded_for_does_not_change_the_counted_address(site: Site) -> None:
    with _client(site.base) as client:
        statuses = [
            _login(client, "spoofed", "wrong", {"X-Forwarded-For": f"203.0.113.{n}"}).status_code
            for n in range(settings.login_max_attempts + 2)
        ]
    assert statuses[-2:] == [429, 429], statuses


def test_a_trusted_proxy_reports_the_client_address(site: Site) -> None:
    saved = settings.trusted_proxies
    settings.trusted_proxies = "127.0.0.1"
    try:
        server, thread, port = serve(create_app(site.engine))
    finally:
        settings.trusted_proxies = saved
    try:
        with _client(f"http://127.0.0.1:{port}") as client:
            rotating = [
                _login(client, "proxied", "wrong", {"X-Forwarded-For": f"198.51.100.{n}"})
                for n in range(settings.login_max_attempts + 2)
            ]
            # A client that forges the header's first entry is still counted by the entry
            # the trusted proxy appended: the one nearest to it.
            same = [
                _login(client, "proxied", "wrong", {"X-Forwarded-For": f"10.9.9.{n}, 192.0.2.7"})
                for n in range(settings.login_max_attempts + 1)
            ]
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert [r.status_code for r in rotating] == [401] * len(rotating)
    assert [r.status_code for r in same][-1] == 429


# 11. Sessions ---------------------------------------------------------------------------------


def _logged_in_pair(
    site: Site, username: str, password: str = PASSWORD
) -> tuple[httpx.Client, httpx.Client]:
    """A browser logged in, and a second client holding a copy of its cookie."""
    browser = _client(site.base)
    assert _login(browser, username, password).status_code == 303
    thief = _client(site.base)
    thief.cookies.update(browser.cookies)
    assert thief.get("/analytics").status_code == 200
    return browser, thief


def _ended(client: httpx.Client) -> bool:
    response = client.get("/analytics")
    return response.status_code == 303 and response.headers["location"].startswith("/login")


def test_a_copied_cookie_stops_working_after_logout(site: Site) -> None:
    _new_user(site, "leaver")
    browser, thief = _logged_in_pair(site, "leaver")
    page = browser.get("/analytics").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    assert browser.post("/logout", data={"csrf_token": token.group(1)}).status_code == 303
    assert _ended(thief) and _ended(browser)
    assert thief.get("/login").status_code == 200  # the login form, not a redirect loop
    browser.close()
    thief.close()


def test_a_password_change_and_logout_all_end_every_session(site: Site) -> None:
    _new_user(site, "changer")
    url = site.engine.url.render_as_string(hide_password=False)
    env = fanlens_env(database_url=url)
    browser, thief = _logged_in_pair(site, "changer")
    changed = invoke_cli("user", "password", "changer", "--password", "a new passphrase", env=env)
    assert changed.returncode == 0, changed.stderr
    assert _ended(browser) and _ended(thief)
    with _client(site.base) as client:
        assert _login(client, "changer", "a new passphrase").status_code == 303

    browser, thief = _logged_in_pair(site, "changer", "a new passphrase")
    second = _client(site.base)
    assert _login(second, "changer", "a new passphrase").status_code == 303
    ended = invoke_cli("user", "logout-all", "changer", env=env)
    assert ended.returncode == 0 and "ended 3 session(s) of changer" in ended.stdout
    assert _ended(browser) and _ended(thief) and _ended(second)
    unknown = invoke_cli("user", "logout-all", "nobody", env=env)
    assert unknown.returncode == 1 and "no user 'nobody'" in unknown.stderr
    for c in (browser, thief, second):
        c.close()


def test_sessions_are_stored_as_hashes(site: Site) -> None:
    _new_user(site, "hashed")
    with _client(site.base) as client:
        assert _login(client, "hashed", PASSWORD).status_code == 303
        cookie = client.cookies["fanlens_session"]
    with site.engine.connect() as conn:
        stored = conn.execute(
            text(
                "SELECT key_hash FROM dashboard_sessions s JOIN users u ON u.id = s.user_id "
                "WHERE u.username = 'hashed'"
            )
        ).scalar_one()
    assert len(stored) == 64 and stored not in cookie


# 12. Links from imported data -----------------------------------------------------------------


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []  # every URL attribute, checked
        self.links: list[str] = []  # <a href>, followed
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        urls = [value or "" for name, value in attrs if name in ("href", "src", "action")]
        self.hrefs += urls
        self.links += urls if tag == "a" else []

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _crawl(client: httpx.Client, start: str, limit: int = 80) -> dict[str, _Links]:
    """Every same-site page reachable from `start` (CSV downloads and logout left out)."""
    seen: dict[str, _Links] = {}
    queue = [start]
    while queue and len(seen) < limit:
        path = queue.pop(0)
        if path in seen:
            continue
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        parsed = _Links()
        parsed.feed(response.text)
        seen[path] = parsed
        for href in parsed.links:
            target = urlsplit(href)
            page = not target.scheme and target.path.startswith("/analytics")
            if page and not target.path.endswith(".csv") and target.path not in seen:
                queue.append(target.path)
    return seen


def test_javascript_urls_from_imported_data_never_become_links(site: Site) -> None:
    with _client(site.base) as client:
        assert _login(client, "eve", PASSWORD).status_code == 303
        pages = _crawl(client, "/analytics")
    assert any(p.startswith("/analytics/content/") for p in pages), sorted(pages)
    assert any(p.startswith("/analytics/followers/") for p in pages), sorted(pages)
    for path, parsed in pages.items():
        for href in parsed.hrefs:
            scheme = urlsplit(href.strip()).scheme.lower()
            assert scheme in ("", "http", "https", "data"), (path, href)
            assert "alert(" not in href, (path, href)
    shown = " ".join(" ".join(p.text) for p in pages.values())
    assert "javascript:alert(3)" in shown  # the URL is shown, as text


def test_only_http_urls_may_become_links() -> None:
    for url in ("https://youtube.com/watch?v=1", "HTTP://example.org/p", "http://[::1]:8/x"):
        assert http_url(url), url
    refused = ["javascript:alert(1)", " JavaScript:alert(1)", "\thttp://x", "data:text/html,x"]
    refused += ["//evil.example", "/relative", "https:alert(1)", "http:///x", "", None, 3]
    for url in refused:
        assert not http_url(url), url


# 13. CSV exports ------------------------------------------------------------------------------


def _csv(response: httpx.Response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


def test_csv_cells_that_start_a_formula_are_escaped_in_pages_and_api(site: Site) -> None:
    bearer = {"Authorization": f"Bearer {site.hostile_token}"}
    with _client(site.base) as client:
        assert _login(client, "eve", PASSWORD).status_code == 303
        page_content = _csv(client.get("/analytics/content.csv"))
        page_followers = _csv(client.get("/analytics/followers.csv"))
        api_content = _csv(client.get(f"{API}/content", params={"format": "csv"}, headers=bearer))
        api_followers = _csv(
            client.get(f"{API}/followers", headers={**bearer, "Accept": "text/csv"})
        )
        json_content = client.get(f"{API}/content", headers=bearer).json()["items"]
        json_followers = client.get(f"{API}/followers", headers=bearer).json()["items"]
    for rows in (page_content, api_content):
        assert [r["title"] for r in rows] == ["'" + FORMULA_TITLE]
    for rows in (page_followers, api_followers):
        assert [(r["username"], r["display_name"]) for r in rows] == [("'-2+3", "'@SUM(1,2)")]
        assert int(rows[0]["interaction_count"]) == 1  # numbers stay numbers
    assert [i["title"] for i in json_content] == [FORMULA_TITLE]  # JSON unchanged
    assert [i["username"] for i in json_followers] == ["-2+3"]


# 14. Cache-Control and /metrics ---------------------------------------------------------------


def test_pages_and_api_answers_are_not_stored_by_caches(site: Site) -> None:
    with _client(site.base) as client:
        assert _login(client, "eve", PASSWORD).status_code == 303
        for path in ("/analytics", "/analytics/followers", "/analytics/content.csv", "/login"):
            assert client.get(path).headers.get("cache-control") == "no-store", path
        bearer = {"Authorization": f"Bearer {site.hostile_token}"}
        for path in ("/content", "/followers", "/nowhere"):
            answer = client.get(API + path, headers=bearer)
            assert answer.headers.get("cache-control") == "no-store", path
        assert client.get(API + "/content").headers.get("cache-control") == "no-store"  # 401
        assert client.get("/static/app.css").headers.get("cache-control") != "no-store"


@pytest.fixture
def metrics_token() -> object:
    saved = settings.metrics_token
    yield saved
    settings.metrics_token = saved


def test_metrics_need_the_configured_token(site: Site, metrics_token: object) -> None:
    settings.metrics_token = None
    with _client(site.base) as client:
        assert client.get("/metrics").status_code == 404  # off without a token
        settings.metrics_token = SecretStr("scrape-me")
        assert client.get("/metrics").status_code == 401
        wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        scraped = client.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
        assert scraped.status_code == 200 and "fanlens_http_requests_total" in scraped.text


def test_a_window_that_ended_counts_again_from_one_and_leaves_no_rows(session: Session) -> None:
    for _ in range(settings.login_max_attempts):
        users.count_login_check(session=session, username="Old", ip="192.0.2.1")
        users.count_login_check(session=session, username="gone", ip="192.0.2.2")
    with pytest.raises(users.TooManyAttempts) as refused:
        users.count_login_check(session=session, username="old", ip="192.0.2.1")
    assert 0 < refused.value.retry_after <= settings.login_window_seconds
    session.execute(
        text("UPDATE login_throttles SET window_started_at = now() - make_interval(secs => :s)"),
        {"s": settings.login_window_seconds},
    )  # both windows have ended
    users.count_login_check(session=session, username="old", ip="192.0.2.1")
    rows = session.execute(text("SELECT username, checks FROM login_throttles")).all()
    assert [tuple(r) for r in rows] == [("old", 1)]
