"""REST API latency under 8 concurrent clients, against plain SELECTs on the origin's views.

    .venv/bin/python benchmarks/api.py [--followers 20000] [--interactions 400000] [--seconds 4]

Builds a world with bulk SQL in a database of its own (on FANLENS_DATABASE_URL's server, or the
embedded one under .fanlens-bench/), serves it with `fanlens serve` (uvicorn) on a free port,
then for each question runs 8 HTTP clients for a few seconds and 8 SQL clients asking the views
the same question. Prints p50/p95/p99 (ms), requests/s, errors, and API p95 / SQL p95.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from fanlens.auth import service as auth_service
from fanlens.db import embedded, migrate
from fanlens.db.engine import normalize_url

API = "/api/social-analytics"
PLATFORMS = ["tiktok", "instagram", "youtube"]


def admin_url() -> str:
    configured = os.environ.get("FANLENS_DATABASE_URL")
    if configured:
        return normalize_url(configured)
    return embedded.ensure_server(Path(".fanlens-bench"))


def create_db(admin: str) -> str:
    name = f"fanlens_bench_{uuid.uuid4().hex[:8]}"
    eng = create_engine(admin, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with eng.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return make_url(admin).set(database=name).render_as_string(hide_password=False)


def drop_db(admin: str, url: str) -> None:
    eng = create_engine(admin, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with eng.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))


def build_world(engine: Engine, followers: int, interactions: int, content: int) -> uuid.UUID:
    """Bulk SQL: every content item posted on 3 platforms; interactions spread with a skew
    (a few followers do much of the engaging, as on real accounts)."""
    with engine.connect() as conn:  # one connection: the temp maps below live in its session
        ws = conn.execute(
            text("INSERT INTO workspaces (name) VALUES ('bench') RETURNING id")
        ).scalar_one()
        p = {"ws": ws, "c": content, "f": followers}
        conn.execute(
            text("""
            INSERT INTO content_items (workspace_id, slug, title)
            SELECT :ws, 'c' || n,
                   'Video ' || n || ' about ' || (ARRAY['coffee','tea','cocoa'])[1 + n % 3]
            FROM generate_series(1, :c) n"""),
            p,
        )
        conn.execute(
            text("""
            INSERT INTO content_posts (workspace_id, content_id, platform, external_post_id,
                                       posted_at, views, likes, comments, shares, saves)
            SELECT :ws, ci.id, pl, pl || '-' || ci.slug,
                   now() - (random() * 365) * interval '1 day',
                   (random() * 100000)::bigint, (random() * 5000)::bigint,
                   (random() * 500)::bigint, (random() * 100)::bigint, (random() * 100)::bigint
            FROM content_items ci CROSS JOIN unnest(ARRAY['tiktok','instagram','youtube']) pl
            WHERE ci.workspace_id = :ws"""),
            p,
        )
        conn.execute(
            text("""
            INSERT INTO followers (workspace_id, platform, external_user_id, username)
            SELECT :ws, (ARRAY['tiktok','instagram','youtube'])[1 + n % 3], 'u' || n, 'fan_' || n
            FROM generate_series(1, :f) n"""),
            p,
        )
        conn.execute(
            text("""
            CREATE TEMP TABLE fmap AS
            SELECT row_number() OVER (ORDER BY id) AS n, id, platform FROM followers
            WHERE workspace_id = :ws"""),
            p,
        )
        conn.execute(
            text("""
            CREATE TEMP TABLE pmap AS
            SELECT row_number() OVER (PARTITION BY platform ORDER BY id) AS n,
                   id, content_id, platform
            FROM content_posts WHERE workspace_id = :ws"""),
            p,
        )
        conn.execute(text("CREATE INDEX ON fmap (n)"))
        conn.execute(text("CREATE INDEX ON pmap (platform, n)"))
        conn.commit()
        chunk = 100_000
        for start in range(0, interactions, chunk):
            size = min(chunk, interactions - start)
            conn.execute(
                text("""
                INSERT INTO follower_interactions (workspace_id, follower_id, content_id,
                    content_post_id, platform, interaction_type, interaction_value, occurred_at,
                    dedup_key)
                SELECT :ws, f.id, pm.content_id, pm.id, f.platform, t.kind,
                       CASE WHEN t.kind = 'comment' THEN 'comment ' || g END,
                       now() - (random() * 365) * interval '1 day', gen_random_uuid()
                FROM generate_series(1, :size) g
                CROSS JOIN LATERAL (SELECT 1 + floor(:f * power(random(), 3))::int AS fn,
                                           1 + floor(random() * :c)::int AS pn,
                                           (ARRAY['like','like','like','comment','share','save',
                                                  'profile_visit','link_click']
                                           )[1 + floor(random() * 8)::int] AS kind
                                   ) t
                JOIN fmap f ON f.n = t.fn
                JOIN pmap pm ON pm.platform = f.platform AND pm.n = t.pn"""),
                {"ws": ws, "size": size, "f": followers, "c": content},
            )
            conn.commit()  # a batch per transaction, as ingest does
        conn.execute(text("ANALYZE"))
        conn.commit()
    return uuid.UUID(str(ws))


def run_clients(
    clients: int,
    seconds: float,
    call: Callable[[Any, random.Random], bool],
    make: Callable[[], Any],
) -> dict[str, float]:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker(seed: int) -> None:
        rng, handle, mine, bad = random.Random(seed), make(), [], 0
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            ok = call(handle, rng)
            mine.append(time.perf_counter() - t0)
            bad += 0 if ok else 1
        with lock:
            latencies.extend(mine)
            errors[0] += bad
        close = getattr(handle, "close", None)
        if close:
            close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    q = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        "p50": q[49] * 1000,
        "p95": q[94] * 1000,
        "p99": q[98] * 1000,
        "rps": len(latencies) / elapsed,
        "n": len(latencies),
        "errors": errors[0],
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--followers", type=int, default=20_000)
    ap.add_argument("--interactions", type=int, default=400_000)
    ap.add_argument("--content", type=int, default=300)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=4.0)
    args = ap.parse_args()

    admin = admin_url()
    url = create_db(admin)
    engine = create_engine(url, pool_size=args.clients + 2)
    try:
        migrate.upgrade(engine)
        t0 = time.perf_counter()
        ws = build_world(engine, args.followers, args.interactions, args.content)
        print(
            f"world: {args.followers:,} followers, {args.interactions:,} interactions, "
            f"{args.content} content x 3 platforms, built in {time.perf_counter() - t0:.1f}s"
        )
        with Session(engine) as session:
            token = auth_service.create(
                session=session, workspace_id=ws, name="bench", scope="read"
            ).secret
            session.commit()
        with engine.connect() as conn:
            follower_ids = [
                str(r[0])
                for r in conn.execute(
                    text(
                        "SELECT follower_id FROM follower_engagement_scores "
                        "ORDER BY random() LIMIT 500"
                    )
                )
            ]
            content_ids = [str(r[0]) for r in conn.execute(text("SELECT id FROM content_items"))]
        run(args, url, ws, token, follower_ids, content_ids, engine)
    finally:
        engine.dispose()
        drop_db(admin, url)


def run(
    args: argparse.Namespace,
    url: str,
    ws: uuid.UUID,
    token: str,
    follower_ids: list[str],
    content_ids: list[str],
    engine: Engine,
) -> None:
    port = _free_port()
    env = {**os.environ, "FANLENS_DATABASE_URL": url, "FANLENS_LOG_LEVEL": "WARNING"}
    server = subprocess.Popen(
        [sys.executable, "-m", "fanlens", "serve", "--no-migrate", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(base)
        fan = lambda r: f"fan_{1 + int(args.followers * r.random() ** 3)}"  # noqa: E731
        questions: list[
            tuple[
                str, Callable[[random.Random], str], str, Callable[[random.Random], dict[str, Any]]
            ]
        ] = [
            (
                "leaderboard",
                lambda r: f"{API}/followers/leaderboard?limit=10",
                "SELECT * FROM top_engaged_followers WHERE workspace_id = :ws LIMIT 10",
                lambda r: {"ws": ws},
            ),
            (
                "follower detail",
                lambda r: f"{API}/followers/{r.choice(follower_ids)}",
                "SELECT t.*, (SELECT json_agg(a) FROM (SELECT * FROM follower_activity_timeline a "
                "WHERE a.follower_id = t.follower_id ORDER BY occurred_at DESC LIMIT 50) a) "
                "FROM top_engaged_followers t WHERE t.follower_id = :id",
                lambda r: {"id": r.choice(follower_ids)},
            ),
            (
                "activity",
                lambda r: f"{API}/activity?username={fan(r)}&type=comment",
                "SELECT * FROM follower_activity_timeline WHERE workspace_id = :ws AND "
                "lower(username) = :u AND interaction_type = 'comment' "
                "ORDER BY occurred_at DESC LIMIT 50",
                lambda r: {"ws": ws, "u": fan(r)},
            ),
            (
                "content list",
                lambda r: f"{API}/content?limit=50",
                "SELECT * FROM content_cross_platform_summary WHERE workspace_id = :ws "
                "ORDER BY total_engagement DESC LIMIT 50",
                lambda r: {"ws": ws},
            ),
            (
                "content detail",
                lambda r: f"{API}/content/{r.choice(content_ids)}",
                "SELECT * FROM content_platform_rollup WHERE content_id = :id",
                lambda r: {"id": r.choice(content_ids)},
            ),
            (
                "followers list",
                lambda r: f"{API}/followers?limit=50&tier=active",
                "SELECT * FROM top_engaged_followers WHERE workspace_id = :ws "
                "AND engagement_tier = 'active' LIMIT 50",
                lambda r: {"ws": ws},
            ),
        ]
        headers = {"Authorization": f"Bearer {token}"}
        print(f"\n{args.clients} clients, {args.seconds:.0f}s per question; latency in ms\n")
        print(
            f"{'question':<16} {'side':<4} {'p50':>7} {'p95':>7} {'p99':>7} {'req/s':>7} "
            f"{'errors':>6} {'API p95 / SQL p95':>18}"
        )
        for name, path, sql, params in questions:
            api = run_clients(
                args.clients,
                args.seconds,
                lambda c, r, path=path: c.get(base + path(r)).status_code == 200,
                lambda: httpx.Client(headers=headers, timeout=30),
            )
            base_sql = run_clients(
                args.clients,
                args.seconds,
                lambda c, r, sql=sql, params=params: (
                    c.execute(text(sql), params(r)).all() is not None
                ),
                lambda: engine.connect(),
            )
            for side, m in (("API", api), ("SQL", base_sql)):
                ratio = f"{api['p95'] / base_sql['p95']:.2f}" if side == "API" else ""
                print(
                    f"{name:<16} {side:<4} {m['p50']:7.1f} {m['p95']:7.1f} {m['p99']:7.1f} "
                    f"{m['rps']:7.0f} {m['errors']:6d} {ratio:>18}"
                )
    finally:
        server.terminate()
        server.wait(timeout=30)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(base: str) -> None:
    for _ in range(300):
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError("server did not start")


if __name__ == "__main__":
    main()
