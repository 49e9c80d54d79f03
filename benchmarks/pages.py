"""Dashboard page server times, next to the API call that returns the same data.

    .venv/bin/python -m benchmarks.pages [--followers 100000] [--interactions 1000000]
                                         [--content 2000] [--requests 20]
    .venv/bin/python -m benchmarks.pages --size large [--keep]   # the API benchmark's sizes
    .venv/bin/python -m benchmarks.pages --database URL          # a kept world
    .venv/bin/python -m benchmarks.pages --database URL --only content/,q=   # some pages

Builds a world with the API benchmark's bulk SQL in a database of its own (on
FANLENS_DATABASE_URL's server, or the embedded one under .fanlens-bench/), serves it with
uvicorn on a free port, logs in, and requests each page one at a time. Prints p50/p95 (ms) per
page, the same for the API call behind it (the baseline, measured in the same run), and the
ratio page p50 / API p50. Goal: every page ≤ 150 ms.
"""

from __future__ import annotations

import argparse
import re
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import uvicorn
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session
from tests.helpers import free_port

from benchmarks._db import largest_workspace
from benchmarks.api import SIZES, Size, admin_url, build_world, create_db, drop_db
from fanlens.auth import service as tokens
from fanlens.db import migrate
from fanlens.server.app import create_app
from fanlens.users import service as users

API = "/api/social-analytics"
GOAL_MS = 150.0


def timed(get: Callable[[], httpx.Response], n: int) -> list[float]:
    get()  # warm: plans, caches, the first connection
    times = []
    for _ in range(n):
        started = time.perf_counter()
        response = get()
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (response.status_code, response.text[:300])
    return times


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--followers", type=int, default=100_000)
    ap.add_argument("--interactions", type=int, default=1_000_000)
    ap.add_argument("--content", type=int, default=2_000)
    ap.add_argument("--requests", type=int, default=20)
    ap.add_argument(
        "--size",
        choices=sorted(SIZES),
        help="build the API benchmark's world of that size (instead of the three counts)",
    )
    ap.add_argument("--keep", action="store_true", help="Keep the database (prints its URL).")
    ap.add_argument(
        "--database",
        help="serve this database (migrated to head) and its largest workspace instead of "
        "building a world (e.g. one kept by benchmarks.api --keep)",
    )
    ap.add_argument(
        "--only",
        default="",
        help="comma-separated parts of page paths: measure only the pages whose path contains "
        "one ('content/' is the content detail)",
    )
    args = ap.parse_args()
    only = [part for part in args.only.split(",") if part]
    if args.database:
        engine = create_engine(args.database, pool_size=10)
        try:
            migrate.upgrade(engine)
            with engine.connect() as conn:
                ws = largest_workspace(conn)
            serve_and_measure(engine, ws, args.requests, only)
        finally:
            engine.dispose()
        return
    admin = admin_url()
    url = create_db(admin)
    engine = create_engine(url, pool_size=10)
    try:
        run(engine, args, only)
    finally:
        engine.dispose()
        if args.keep:
            print(f"kept {url}")
        else:
            drop_db(admin, url)


def run(engine: object, args: argparse.Namespace, only: list[str]) -> None:
    eng = engine  # typed loosely: the bench is a script
    migrate.upgrade(eng)  # type: ignore[arg-type]
    started = time.perf_counter()
    size = SIZES[args.size] if args.size else Size(args.followers, args.interactions, args.content)
    ws = build_world(eng, size, progress=True)  # type: ignore[arg-type]
    built = time.perf_counter() - started
    print(
        f"world: {size.followers:,} followers, {size.interactions:,} interactions, "
        f"{size.content:,} content items x {size.platforms} platforms, built in {built:.0f}s"
    )
    serve_and_measure(eng, ws, args.requests, only)


def serve_and_measure(eng: Any, ws: uuid.UUID, requests: int, only: list[str]) -> None:
    username = f"bench_{uuid.uuid4().hex[:6]}"
    with Session(eng) as session:
        users.create(session=session, workspace_id=ws, username=username, password="bench-pass")
        token = tokens.create(session=session, workspace_id=ws, name="b", scope="read").secret
        content_id, follower_id = session.execute(
            text(
                "SELECT (SELECT content_id FROM follower_interactions WHERE workspace_id = :ws"
                "        GROUP BY content_id ORDER BY count(*) DESC LIMIT 1),"
                "       (SELECT follower_id FROM follower_engagement_scores"
                "        WHERE workspace_id = :ws ORDER BY engagement_score DESC LIMIT 1)"
            ),
            {"ws": ws},
        ).one()
        session.commit()
    port = free_port()
    # With its lifespan, as `fanlens serve` runs it: start-up ends with the objects it holds
    # frozen out of the garbage collector's full collections (without, pauses of 100-300 ms).
    server = uvicorn.Server(
        uvicorn.Config(create_app(eng), port=port, log_level="warning", lifespan="on")  # type: ignore[arg-type]
    )
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    try:
        measure(base, token, content_id, follower_id, requests, username, only)
    finally:
        server.should_exit = True


def measure(
    base: str,
    token: str,
    content_id: object,
    follower_id: object,
    n: int,
    username: str,
    only: list[str],
) -> None:
    page = httpx.Client(base_url=base, timeout=60)
    form = page.get("/login").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert csrf
    login = {"username": username, "password": "bench-pass", "csrf_token": csrf[1]}
    page.post("/login", data=login)
    api = httpx.Client(
        base_url=base + API, timeout=60, headers={"Authorization": f"Bearer {token}"}
    )
    rate_filter = "?sort=engagement_rate&platform=youtube"
    cases = [
        ("/analytics", "/overview"),
        ("/analytics/content", "/content"),
        (f"/analytics/content{rate_filter}", f"/content{rate_filter}"),
        (f"/analytics/content/{content_id}", f"/content/{content_id}"),
        ("/analytics/followers", "/followers"),
        ("/analytics/followers?tier=active&q=fan_1", "/followers?tier=active&q=fan_1"),
        (f"/analytics/followers/{follower_id}", f"/followers/{follower_id}"),
        ("/analytics/health", "/sync-health"),
        ("/analytics/retention?periods=52", "/retention?periods=52"),
        ("/analytics/insights", "/best-time"),
        ("/analytics/insights", "/tier-movement"),
    ]  # fmt: skip
    print(f"{'page':<58} {'p50':>7} {'p95':>7} | {'API p50':>7} {'p95':>7} | ratio  goal")
    for path, api_path in cases:
        if only and not any(part in path for part in only):
            continue
        shown = timed(lambda path=path: page.get(path), n)  # type: ignore[misc]
        base_times = timed(lambda api_path=api_path: api.get(api_path), n)  # type: ignore[misc]
        p50, a50 = statistics.median(shown), statistics.median(base_times)
        verdict = "met" if p95(shown) <= GOAL_MS else "NOT met"
        print(
            f"{path[:58]:<58} {p50:7.1f} {p95(shown):7.1f} | {a50:7.1f} {p95(base_times):7.1f} |"
            f" {p50 / a50:5.2f}x {verdict}"
        )


if __name__ == "__main__":
    main()
