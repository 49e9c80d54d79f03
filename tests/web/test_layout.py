"""Every dashboard page at a phone's width and a desktop's: no sideways scroll of the page, a
nav whose every control stays reachable, table headers shown whole, a readable heat map."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.web.conftest import ARTIFACTS, Site, login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group(name="site"),  # one worker builds the served site and the browser
]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
WIDTHS = {"phone": PHONE, "desktop": DESKTOP}
PAGES = [
    "overview",
    "content",
    "content_detail",
    "followers",
    "follower",
    "people",
    "person",
    "retention",
    "insights",
    "links",
    "outreach",
    "health",
    "search",
    "not_found",
]

# The page's and the body's width, the headers whose text overflows their cell (clipped) and the
# headers past the right edge of the box that frames their table (hidden until scrolled to).
MEASURE = """() => ({
  page: document.documentElement.scrollWidth,
  body: document.body.scrollWidth,
  window: window.innerWidth,
  clipped: Array.from(document.querySelectorAll("th"))
    .filter((th) => th.scrollWidth > th.clientWidth)
    .map((th) => th.textContent.trim()),
  hidden: Array.from(document.querySelectorAll("thead th"))
    .filter((th) => {
      const box = th.getBoundingClientRect(), frame = th.closest(".scroll, .card, main");
      return box.right > frame.getBoundingClientRect().right + 1;
    })
    .map((th) => th.textContent.trim()),
})"""


@pytest.fixture(scope="module")
def paths(site: Site) -> dict[str, str]:
    content = site.api("/content", limit=1)["items"][0]["id"]
    follower = site.api("/followers/leaderboard", limit=1)["items"][0]["follower_id"]
    person = site.api("/people", limit=1)["items"][0]["person_id"]
    return {
        "overview": "/analytics",
        "content": "/analytics/content",
        "content_detail": f"/analytics/content/{content}",
        "followers": "/analytics/followers",
        "follower": f"/analytics/followers/{follower}",
        "people": "/analytics/people",
        "person": f"/analytics/people/{person}",
        "retention": "/analytics/retention",
        "insights": "/analytics/insights",
        "links": "/analytics/links",
        "outreach": "/analytics/outreach",
        "health": "/analytics/health",
        "search": "/analytics/search?q=a",
        "not_found": "/analytics/nothing-here",
    }


@pytest.fixture(scope="module", params=list(WIDTHS))
def sized(request: pytest.FixtureRequest, browser: Any, site: Site) -> Iterator[tuple[str, Any]]:
    """A logged-in browser context with the phone's or the desktop's viewport."""
    context = browser.new_context(viewport=WIDTHS[request.param])
    page = context.new_page()
    login(page, site.base)
    page.wait_for_url(f"{site.base}/analytics")
    page.close()
    yield request.param, context
    context.close()


def measure(page: Any) -> dict[str, Any]:
    charts_drawn_on(page)
    result: dict[str, Any] = page.evaluate(MEASURE)
    return result


def charts_drawn_on(page: Any) -> None:
    count = page.locator(".chart[data-chart]").count()
    if count:
        page.wait_for_function(
            f"() => document.querySelectorAll('.chart[data-drawn]').length === {count}"
        )


def assert_fits(name: str, width: str, shown: dict[str, Any]) -> None:
    assert shown["page"] <= shown["window"], f"{name} at {width} scrolls sideways: {shown}"
    assert shown["body"] <= shown["window"], f"{name} at {width} scrolls sideways: {shown}"
    assert shown["clipped"] == [], f"{name} at {width}: headers cut {shown['clipped']}"
    if width == "desktop":
        assert shown["hidden"] == [], f"{name} at {width}: headers out of view {shown['hidden']}"


@pytest.mark.parametrize("name", PAGES)
def test_page_has_no_sideways_scroll(
    sized: tuple[str, Any], site: Site, paths: dict[str, str], name: str
) -> None:
    width, context = sized
    page = context.new_page()
    try:
        page.goto(site.base + paths[name])
        shown = measure(page)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"layout-{name}-{width}.png"), full_page=True)
        assert_fits(name, width, shown)
    finally:
        page.close()


@pytest.mark.parametrize("width", list(WIDTHS))
def test_login_page_has_no_sideways_scroll(browser: Any, site: Site, width: str) -> None:
    context = browser.new_context(viewport=WIDTHS[width])
    page = context.new_page()
    page.goto(f"{site.base}/login")
    shown = measure(page)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"layout-login-{width}.png"), full_page=True)
    context.close()
    assert_fits("login", width, shown)


# Each heat-map cell's colour (read from the image Plotly draws), its value and its text.
HEAT_CELLS = """async (id) => {
  const el = document.getElementById(id), image = el.querySelector(".hm image");
  const picture = new Image();
  picture.src = image.getAttribute("href") || image.getAttribute("xlink:href");
  await picture.decode();
  const canvas = document.createElement("canvas");
  canvas.width = picture.width; canvas.height = picture.height;
  const pen = canvas.getContext("2d");
  pen.drawImage(picture, 0, 0);
  const z = el.data[0].z, rows = z.length, columns = z[0].length, cells = [];
  z.forEach((row, r) => row.forEach((value, c) => {
    if (value === null) { return; }
    const x = Math.floor((c + 0.5) * picture.width / columns);
    const y = Math.floor((r + 0.5) * picture.height / rows);
    const rgb = Array.from(pen.getImageData(x, y, 1, 1).data.slice(0, 3));
    cells.push({value, column: c, rgb});
  }));
  const texts = Array.from(el.querySelectorAll(".heatmap-label text")).map((t) => t.textContent);
  const frame = el.getBoundingClientRect();
  const labels = Array.from(el.querySelectorAll(".ytick text, .g-ytitle text"))
    .map((t) => t.getBoundingClientRect())
    .map((box) => ({left: box.left - frame.left, right: box.right - frame.left}));
  return {cells, texts, labels};
}"""


def distance(a: list[int], b: list[int]) -> int:
    return sum(abs(x - y) for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize("query", ["mode=on", "mode=on_or_after", "types=share", "types=save"])
def test_retention_heat_map_tells_small_rates_from_zero(
    browser: Any, site: Site, query: str
) -> None:
    """Shares and saves as returns give rates of 6 to 20 %, zeros and no period 0 of 100 %."""
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    login(page, site.base)
    page.goto(f"{site.base}/analytics/retention?{query}")
    charts_drawn_on(page)
    heat = page.evaluate(HEAT_CELLS, "retention-chart")
    context.close()
    cells = heat["cells"]
    zero = {tuple(c["rgb"]) for c in cells if c["value"] == 0}
    rates = sorted({c["value"] for c in cells if c["value"] > 0})
    colour = {c["value"]: c["rgb"] for c in cells}
    assert len(zero) == 1 and len(rates) >= 3, heat
    for rate in rates:  # even the smallest rate is far from the colour of 0 %
        assert all(distance(colour[rate], list(z)) > 60 for z in zero), (rate, heat)
    darkness = [sum(colour[r]) for r in rates]
    assert darkness == sorted(darkness, reverse=True), "a higher rate is never lighter"
    assert len({tuple(colour[r]) for r in rates}) >= len(rates) // 2, "rates share few colours"
    top = max(c["value"] for c in cells if c["column"] > 0)
    assert all(colour[r] == colour[top] for r in rates if r >= top), "the scale tops out at top"
    shown = [float(t.rstrip("%")) for t in heat["texts"]]  # one text per cell, its rate
    assert shown == pytest.approx([c["value"] * 100 for c in cells], abs=0.051)
    assert all(label["left"] >= 0 for label in heat["labels"]), heat["labels"]


def inside(box: dict[str, float], frame: dict[str, float]) -> bool:
    return (
        box["x"] >= frame["x"] - 1
        and box["y"] >= frame["y"] - 1
        and box["x"] + box["width"] <= frame["x"] + frame["width"] + 1
        and box["y"] + box["height"] <= frame["y"] + frame["height"] + 1
    )


@pytest.mark.parametrize("width", list(WIDTHS))
def test_every_nav_control_is_reachable(browser: Any, site: Site, width: str) -> None:
    context = browser.new_context(viewport=WIDTHS[width])
    page = context.new_page()
    login(page, site.base)
    page.wait_for_url(f"{site.base}/analytics")
    toggle, logout = page.locator(".menu-toggle"), page.locator("form.logout button")
    if width == "phone":  # folded: only the brand and the menu button show
        assert toggle.is_visible() and not logout.is_visible()
        assert page.locator(".topbar").bounding_box()["height"] < 80
        toggle.click()
        assert toggle.get_attribute("aria-expanded") == "true"
    else:
        assert not toggle.is_visible()
    bar = page.locator(".topbar").bounding_box()
    view = {"x": 0, "y": 0, **WIDTHS[width]}
    controls = [*page.locator(".topbar nav a").all(), page.locator(".nav-search input"), logout]
    assert len(controls) == 12
    for control in controls:
        box = control.bounding_box()
        assert control.is_visible() and box is not None, control
        assert inside(box, bar) and inside(box, view), (control, box, bar)
    shown = page.evaluate(MEASURE)
    assert shown["page"] <= shown["window"] and shown["body"] <= shown["window"], shown
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"layout-menu-{width}.png"))
    logout.click()
    page.wait_for_url(f"{site.base}/login")
    context.close()


def test_charts_follow_the_window_width(logged_in: Any, site: Site) -> None:
    page = logged_in.new_page()
    page.set_viewport_size(DESKTOP)
    page.goto(f"{site.base}/analytics")
    charts_drawn_on(page)
    widths = "Array.from(document.querySelectorAll('.chart .main-svg:first-child'))"
    wide = page.evaluate(f"{widths}.map((svg) => svg.getBoundingClientRect().width)")
    page.set_viewport_size(PHONE)
    page.wait_for_function(
        f"() => {widths}.every((svg) => svg.getBoundingClientRect().width <= innerWidth - 32)"
    )
    narrow = page.evaluate(f"{widths}.map((svg) => svg.getBoundingClientRect().width)")
    shown = page.evaluate(MEASURE)
    page.close()
    assert len(wide) >= 2 and all(n < w for n, w in zip(narrow, wide, strict=True))
    assert shown["page"] <= shown["window"] and shown["body"] <= shown["window"], shown
