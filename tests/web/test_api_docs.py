"""/docs and /redoc work with no internet: every file they need comes from fanlens."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.web.conftest import Site

REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@pytest.fixture
def offline(browser: Any, site: Site) -> Iterator[tuple[Any, list[str], list[str]]]:
    """A page of a fresh context whose requests to any host but the test server are aborted;
    the aborted URLs and the console's errors (CSP refusals among them) are collected."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    served = urlsplit(site.base).netloc
    aborted: list[str] = []
    problems: list[str] = []

    def cut_off(route: Any) -> None:
        # A blob: URL (ReDoc's search worker) is made in the page, from the page's origin.
        if urlsplit(route.request.url.removeprefix("blob:")).netloc == served:
            route.continue_()
        else:
            aborted.append(route.request.url)
            route.abort()

    context.route("**/*", cut_off)
    page = context.new_page()
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    yield page, aborted, problems
    context.close()


def test_swagger_ui_renders_the_operations_offline(
    offline: tuple[Any, list[str], list[str]], site: Site
) -> None:
    page, aborted, problems = offline
    page.goto(f"{site.base}/docs")
    operation = page.locator(".opblock", has_text="/api/social-analytics/content").first
    operation.wait_for(state="visible", timeout=30_000)
    assert page.locator(".opblock").count() > 20
    page.wait_for_load_state("networkidle")
    assert aborted == []
    assert problems == []


def test_redoc_renders_the_operation_titles_offline(
    offline: tuple[Any, list[str], list[str]], site: Site
) -> None:
    page, aborted, problems = offline
    page.goto(f"{site.base}/redoc")
    title = page.locator("h2", has_text=re.compile(r"^List content\s*$")).first
    title.wait_for(state="visible", timeout=30_000)
    assert page.locator("h2", has_text=re.compile(r"^One follower\s*$")).count() == 1
    page.wait_for_load_state("networkidle")
    assert aborted == []
    # ReDoc's bundle always asks for its maker's logo from their CDN; the docs' policy refuses
    # it (no request leaves the browser) and the bundle then leaves the logo out.
    assert [p for p in problems if REDOC_LOGO not in p] == []


def test_the_viewers_files_come_from_fanlens(site: Site) -> None:
    for name, kind in [
        ("swagger-ui-bundle.js", "text/javascript"),
        ("swagger-ui.css", "text/css"),
        ("redoc.standalone.js", "text/javascript"),
        ("favicon.png", "image/png"),
    ]:
        response = httpx.get(f"{site.base}/static/vendor/{name}", timeout=30)
        assert response.status_code == 200, name
        assert response.headers["content-type"].startswith(kind), name
        assert len(response.content) > 1000, name
    missing = httpx.get(f"{site.base}/static/vendor/../app.css.map", timeout=30)
    assert missing.status_code == 404
    assert httpx.get(f"{site.base}/static/vendor/nothing.js", timeout=30).status_code == 404


def test_the_docs_policy_allows_fanlens_and_swagger_uis_start_up_script_only(site: Site) -> None:
    for path in ("/docs", "/redoc"):
        policy = httpx.get(f"{site.base}{path}", timeout=30).headers["content-security-policy"]
        script_src = re.search(r"script-src ([^;]+)", policy)
        assert script_src is not None
        assert script_src.group(1).split()[0] == "'self'"
        assert all(source.startswith("'sha256-") for source in script_src.group(1).split()[1:])
        assert "unsafe" not in script_src.group(1) and "http" not in policy, path
        assert "frame-ancestors 'none'" in policy
