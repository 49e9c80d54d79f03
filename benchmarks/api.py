"""REST API latency under 8 concurrent clients, against plain SELECTs on the origin's views.

    .venv/bin/python -m benchmarks.api --size medium [--workers 2] [--seconds 6]

Builds a world with bulk SQL (`generate_series`) in a database of its own (on
FANLENS_DATABASE_URL's server, or the embedded one under .fanlens-bench/), serves it with
`fanlens serve` (uvicorn) on a free port, then for each question runs 8 concurrent HTTP clients
for a few seconds and 8 concurrent SQL clients asking the origin's views the same question.
Prints p50/p95/p99 (ms), requests/s, errors, and API p95 / SQL p95.

The load generator is one process: one asyncio task per client, each on a keep-alive HTTP/1.1
connection of its own spoken with asyncio streams (and, for the baseline, asyncio psycopg
connections). httpx took about 2 ms of CPU per request, a third of what the server needed for
a leaderboard: on a 2-core machine the load generator shares the cores with uvicorn and
PostgreSQL, so its CPU was counted into the API's latency. The raw client takes about 0.1 ms.
Latency is measured per request, from send to the last body byte.

At the medium size the origin's content views aggregate the whole interaction log per query
(minutes under load): each baseline query is cut at `--sql-timeout` seconds and counted as an
error with that latency.

`--keep` leaves the database in place and prints its URL; `--database URL` reuses one (it is
migrated to head first, so a kept world also measures a newer schema). `--floor` also serves
benchmarks/api_floor.py (the leaderboard, follower detail, activity and content detail service
calls behind a bare Starlette app, the bound of what the web layer can win) and asks those
questions of the app and the floor in turn, `--rounds` times.

Besides latency, each run prints the CPU time per request of the server's processes and of
their PostgreSQL backends, read from /proc as each measured window opens and closes: wall
times on a shared machine swing 2-3x, CPU time far less. With `--floor` it prints the app's
CPU per request over the floor's.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from fanlens.auth import service as auth_service
from fanlens.db import embedded, migrate
from fanlens.db.engine import normalize_url

API = "/api/social-analytics"


@dataclass(frozen=True)
class Size:
    followers: int
    interactions: int
    content: int
    platforms: int = 3  # the first n of PLATFORMS; each content item has a post on each


PLATFORMS = ("tiktok", "instagram", "youtube", "bluesky", "mastodon")


SIZES = {
    "tiny": Size(2_000, 50_000, 100),
    "small": Size(20_000, 400_000, 300),
    "medium": Size(100_000, 5_000_000, 2_000),
    "large": Size(1_000_000, 20_000_000, 5_000, 5),
}
CHUNK = 1_000_000  # interactions per INSERT statement
INSERT_TRIGGER = "trg_follower_interactions_inserted"
RETENTION_TRIGGER = "trg_follower_interactions_retention_inserted"
FIRST_DAY_TRIGGER = "trg_follower_interactions_first_day_inserted"
LOAD_TRIGGERS = (INSERT_TRIGGER, RETENTION_TRIGGER, FIRST_DAY_TRIGGER)  # off while loading
SERVER_LOG = Path(tempfile.gettempdir()) / "fanlens-bench-api-server.log"


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


def kept_workspace(engine: Engine) -> uuid.UUID:
    """The benchmark workspace of a world kept by an earlier `--keep` run."""
    with engine.connect() as conn:
        ws = conn.execute(text("SELECT id FROM workspaces WHERE name = 'bench'")).scalar_one()
    return uuid.UUID(str(ws))


# --- the world -------------------------------------------------------------------------------

CONTENT = """
INSERT INTO content_items (workspace_id, slug, title)
SELECT :ws, 'c' || n, 'Video ' || n || ' about ' || (ARRAY['coffee','tea','cocoa'])[1 + n % 3]
FROM generate_series(1, :c) n"""

POSTS = """
INSERT INTO content_posts (workspace_id, content_id, platform, external_post_id, posted_at,
                           views, likes, comments, shares, saves)
SELECT :ws, ci.id, pl, pl || '-' || ci.slug, now() - (random() * 365) * interval '1 day',
       (random() * 100000)::bigint, (random() * 5000)::bigint, (random() * 500)::bigint,
       (random() * 100)::bigint, (random() * 100)::bigint
FROM content_items ci CROSS JOIN unnest(CAST(:platforms AS text[])) pl
WHERE ci.workspace_id = :ws"""

FOLLOWERS = """
INSERT INTO followers (workspace_id, platform, external_user_id, username)
SELECT :ws, (CAST(:platforms AS text[]))[1 + n % :np], 'u' || n, 'fan_' || n
FROM generate_series(1, :f) n"""

MAPS = [
    # n follows the user number, so fan_1 (n = 1) is the busiest follower the skew picks.
    """CREATE TEMP TABLE fmap AS
       SELECT row_number() OVER (ORDER BY substr(external_user_id, 2)::int) AS n, id, platform
       FROM followers
       WHERE workspace_id = :ws""",
    """CREATE TEMP TABLE pmap AS
       SELECT row_number() OVER (PARTITION BY platform ORDER BY id) AS n,
              id, content_id, platform, posted_at
       FROM content_posts WHERE workspace_id = :ws""",
    "CREATE UNIQUE INDEX ON fmap (n)",
    "CREATE UNIQUE INDEX ON pmap (platform, n)",
]

# power(random(), 3) skews the pick to low n: a few followers do much of the engaging, as on
# real accounts (fan_1 makes about 2 % of all interactions). Interactions come in a burst after
# their post: power(random(), 4) × 30 days puts a third in the first 12 hours, half within two
# days and a tail over the following weeks, as on real posts (never after now).
# random() sits in the select list over generate_series, so it is drawn for every row (an
# uncorrelated LATERAL subquery would be evaluated once, giving every row the same pick).
INTERACTIONS = """
INSERT INTO follower_interactions (workspace_id, follower_id, content_id, content_post_id,
    platform, interaction_type, interaction_value, occurred_at, dedup_key)
SELECT :ws, f.id, pm.content_id, pm.id, f.platform, t.kind,
       CASE WHEN t.kind = 'comment' THEN 'comment ' || t.g END,
       least(now(), pm.posted_at + power(random(), 4) * interval '30 days'), gen_random_uuid()
FROM (SELECT g, 1 + floor(:f * power(random(), 3))::int AS fn,
             1 + floor(random() * :c)::int AS pn,
             (ARRAY['like','like','like','comment','share','save','profile_visit','link_click']
             )[1 + floor(random() * 8)::int] AS kind
      FROM generate_series(1, :size) g) t
JOIN fmap f ON f.n = t.fn
JOIN pmap pm ON pm.platform = f.platform AND pm.n = t.pn"""

# What the insert trigger keeps per batch, derived once for the whole log instead.
DERIVED = [
    """INSERT INTO follower_interaction_counts (follower_id, interaction_type, workspace_id,
           interaction_count, first_interaction_at, last_interaction_at)
       SELECT follower_id, interaction_type, :ws, count(*), min(occurred_at), max(occurred_at)
       FROM follower_interactions WHERE workspace_id = :ws
       GROUP BY follower_id, interaction_type""",
    """UPDATE followers f SET first_seen_at = c.first_at, last_seen_at = c.last_at
       FROM (SELECT follower_id, min(first_interaction_at) AS first_at,
                    max(last_interaction_at) AS last_at
             FROM follower_interaction_counts GROUP BY follower_id) c
       WHERE f.id = c.follower_id""",
    "ANALYZE",
    "SELECT fanlens_rescore_workspace(:ws, false)",
    "SELECT fanlens_retention_rebuild_workspace(:ws)",
    "SELECT fanlens_first_day_recount(NULL, :ws)",
    "ANALYZE",
]


def _secondary_indexes(conn: Connection) -> list[tuple[str, str]]:
    """follower_interactions' indexes that back no constraint, as (name, CREATE statement)."""
    rows = conn.execute(
        text("""
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.tablename = 'follower_interactions'
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)""")
    )
    return [(r[0], r[1]) for r in rows]


LOADERS = 2  # connections loading interaction chunks at once (one per core of a 2-core machine)


def build_world(engine: Engine, size: Size, progress: bool = False) -> uuid.UUID:
    """Bulk SQL into an empty database. The interaction log is loaded with its insert,
    retention and first-day triggers off and its secondary indexes dropped (rebuilt after), in
    chunks on LOADERS connections at once, then the per-follower counts, first/last seen times,
    scores (with the tier history and its rollups), active periods, retention cells and posts'
    first-day engagement are derived once, set-based: what ingest would leave.
    `progress` prints each step's time."""
    started = time.perf_counter()

    def step(what: str) -> None:
        if progress:
            print(f"  {time.perf_counter() - started:7.0f} s  {what}", flush=True)

    p, indexes = prepare_world(engine, size)
    step("content, posts, followers")
    chunks = [min(CHUNK, size.interactions - s) for s in range(0, size.interactions, CHUNK)]
    with ThreadPoolExecutor(LOADERS) as pool:
        done = [pool.submit(load_interactions, engine, p, chunks[i::LOADERS], 0.42 + i / 100, step)
                for i in range(LOADERS)]  # fmt: skip
        for future in done:
            future.result()
    finish_world(engine, p, indexes, step)
    return uuid.UUID(str(p["ws"]))


def prepare_world(engine: Engine, size: Size) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The workspace, content, posts and followers; the log's secondary indexes dropped and its
    insert, retention and first-day triggers off. Returns the build's parameters and the
    dropped indexes."""
    with engine.connect() as conn:
        conn.execute(text("SELECT setseed(0.42)"))
        ws = conn.execute(text("INSERT INTO workspaces (name) VALUES ('bench') RETURNING id"))
        platforms = list(PLATFORMS[: size.platforms])
        p = {"ws": ws.scalar_one(), "c": size.content, "f": size.followers,
             "platforms": platforms, "np": len(platforms)}  # fmt: skip
        for sql in (CONTENT, POSTS, FOLLOWERS):
            conn.execute(text(sql), p)
        indexes = _secondary_indexes(conn)
        for name, _ in indexes:
            conn.execute(text(f'DROP INDEX "{name}"'))
        for trigger in LOAD_TRIGGERS:
            conn.execute(text(f"ALTER TABLE follower_interactions DISABLE TRIGGER {trigger}"))
        conn.commit()
    return p, indexes


def load_interactions(
    engine: Engine, p: dict[str, Any], chunks: list[int], seed: float, step: Callable[[str], None]
) -> None:
    """Insert chunks of generated interactions on one connection (its temp maps live in its
    session), each committed alone; `seed` makes its picks the same on every build."""
    with engine.connect() as conn:
        conn.execute(text("SELECT setseed(:seed)"), {"seed": seed})
        for sql in MAPS:
            conn.execute(text(sql), p)
        for size in chunks:
            conn.execute(text(INTERACTIONS), {**p, "size": size})
            conn.commit()
            step(f"{size:,} interactions")


def finish_world(
    engine: Engine,
    p: dict[str, Any],
    indexes: list[tuple[str, str]],
    step: Callable[[str], None],
) -> None:
    """The dropped indexes rebuilt (LOADERS at once), the triggers back on, the derived rows."""

    def create(statements: list[str]) -> None:
        with engine.connect() as conn:
            conn.execute(text("SET maintenance_work_mem = '256MB'"))
            for statement in statements:
                conn.execute(text(statement))
                conn.commit()

    statements = [create for _, create in indexes]
    with ThreadPoolExecutor(LOADERS) as pool:
        for future in [pool.submit(create, statements[i::LOADERS]) for i in range(LOADERS)]:
            future.result()
    step("indexes")
    with engine.connect() as conn:
        for trigger in LOAD_TRIGGERS:
            conn.execute(text(f"ALTER TABLE follower_interactions ENABLE TRIGGER {trigger}"))
        for sql in DERIVED:
            conn.execute(text(sql), p)
            step(sql.split("(")[0].split("\n")[0][:60])
        conn.commit()


# --- the load --------------------------------------------------------------------------------


@dataclass
class Stats:
    latencies: list[float]
    errors: int
    elapsed: float
    cpu: tuple[float, float] = (float("nan"), float("nan"))  # (server, database) seconds

    def row(self) -> dict[str, float]:
        if len(self.latencies) < 2:  # a baseline slower than the whole run
            self.latencies = self.latencies * 2 or [float("nan")] * 2
        q = statistics.quantiles(self.latencies, n=100, method="inclusive")
        return {
            "p50": q[49] * 1000,
            "p95": q[94] * 1000,
            "p99": q[98] * 1000,
            "rps": len(self.latencies) / self.elapsed,
            "errors": self.errors,
            "server_cpu": self.cpu[0] / len(self.latencies) * 1000,  # ms per request
            "db_cpu": self.cpu[1] / len(self.latencies) * 1000,
        }


Ask = Callable[[int, random.Random], Awaitable[bool]]
CpuClock = Callable[[], Awaitable[tuple[float, float]]]
Result = tuple[str, dict[str, float], dict[str, float]]


async def load(
    clients: int, seconds: float, warmup: float, ask: Ask, clock: CpuClock | None = None
) -> Stats:
    """`clients` tasks asking back to back; answers that arrive in the first `warmup` seconds
    are not recorded. `clock`, when given, is read as the measured window opens and closes."""
    latencies: list[float] = []
    errors = 0
    start = time.perf_counter()
    measure_from, deadline = start + warmup, start + warmup + seconds

    async def client(i: int) -> None:
        nonlocal errors
        rng = random.Random(i)
        while (t0 := time.perf_counter()) < deadline:
            ok = await ask(i, rng)
            if (t1 := time.perf_counter()) >= measure_from:  # ended after the warm-up
                latencies.append(t1 - t0)
                errors += 0 if ok else 1

    async def opening() -> tuple[float, float]:
        await asyncio.sleep(warmup)
        return await clock() if clock else (float("nan"), float("nan"))

    opened = asyncio.create_task(opening())
    await asyncio.gather(*(client(i) for i in range(clients)))
    first = await opened
    last = await clock() if clock else (float("nan"), float("nan"))
    cpu = (last[0] - first[0], last[1] - first[1])
    return Stats(latencies, errors, time.perf_counter() - measure_from, cpu)


@dataclass(frozen=True)
class Question:
    name: str
    path: Callable[[random.Random], str]
    sql: str
    params: Callable[[random.Random], dict[str, Any]]


def questions(
    ws: uuid.UUID, followers: int, follower_ids: list[str], content_ids: list[str]
) -> list[Question]:
    def fan(r: random.Random) -> str:  # the same skew as the world: busy fans are asked more
        return f"fan_{1 + int(followers * r.random() ** 3)}"

    return [
        Question(
            "leaderboard",
            lambda r: f"{API}/followers/leaderboard?limit=10",
            "SELECT * FROM top_engaged_followers WHERE workspace_id = %(ws)s LIMIT 10",
            lambda r: {"ws": ws},
        ),
        Question(
            "follower detail",
            lambda r: f"{API}/followers/{r.choice(follower_ids)}",
            "SELECT t.*, (SELECT json_agg(a) FROM (SELECT * FROM follower_activity_timeline a "
            "WHERE a.follower_id = t.follower_id ORDER BY occurred_at DESC LIMIT 50) a) "
            "FROM top_engaged_followers t WHERE t.follower_id = %(id)s",
            lambda r: {"id": r.choice(follower_ids)},
        ),
        Question(
            "activity",
            lambda r: f"{API}/activity?username={fan(r)}&type=comment",
            "SELECT * FROM follower_activity_timeline WHERE workspace_id = %(ws)s AND "
            "lower(username) = %(u)s AND interaction_type = 'comment' "
            "ORDER BY occurred_at DESC LIMIT 50",
            lambda r: {"ws": ws, "u": fan(r)},
        ),
        Question(
            "content list",
            lambda r: f"{API}/content?limit=50",
            "SELECT * FROM content_cross_platform_summary WHERE workspace_id = %(ws)s "
            "ORDER BY total_engagement DESC LIMIT 50",
            lambda r: {"ws": ws},
        ),
        Question(
            "content detail",
            lambda r: f"{API}/content/{r.choice(content_ids)}",
            "SELECT * FROM content_platform_rollup WHERE content_id = %(id)s",
            lambda r: {"id": r.choice(content_ids)},
        ),
        Question(
            "followers list",
            lambda r: f"{API}/followers?limit=50&tier=active",
            "SELECT * FROM top_engaged_followers WHERE workspace_id = %(ws)s "
            "AND engagement_tier = 'active' LIMIT 50",
            lambda r: {"ws": ws},
        ),
    ]


async def ask_http(
    args: argparse.Namespace, base: str, token: str, q: Question, clock: CpuClock | None
) -> Stats:
    # Connected per question: uvicorn closes a keep-alive connection after 5 s idle, as these
    # are while a baseline runs.
    clients = [await RawHttp.connect(base, token) for _ in range(args.clients)]

    async def http(i: int, r: random.Random) -> bool:
        return await clients[i].get(q.path(r)) == 200

    try:
        return await load(args.clients, args.seconds, args.warmup, http, clock)
    finally:
        for client in clients:
            client.close()


async def measure(
    args: argparse.Namespace, server: int, base: str, token: str, dsn: str, asked: list[Question]
) -> list[Result]:
    results = []
    conns = [
        await psycopg.AsyncConnection.connect(dsn, autocommit=True) for _ in range(args.clients)
    ]
    for conn in conns:  # the views can take minutes at this size: bound each query
        await conn.execute(f"SET statement_timeout = {int(args.sql_timeout * 1000)}")
    for q in asked:

        async def sql(i: int, r: random.Random, q: Question = q) -> bool:
            try:
                cur = await conns[i].execute(q.sql, q.params(r))
                await cur.fetchall()
            except psycopg.errors.QueryCanceled:
                return False  # counted as an error, its latency as the timeout
            return True

        api = await ask_http(args, base, token, q, cpu_clock(server, conns[0]))
        base_sql = await load(args.clients, args.seconds, args.warmup, sql)
        results.append((q.name, api.row(), base_sql.row()))
    for conn in conns:
        await conn.close()
    return results


FloorRow = tuple[str, str, dict[str, float]]  # question, "app" or "floor", figures


async def measure_floor(
    args: argparse.Namespace,
    servers: dict[str, tuple[int, str]],
    token: str,
    dsn: str,
    asked: list[Question],
) -> list[FloorRow]:
    """Each question asked of the app and of its floor in turn, `--rounds` times, after a warm-
    up second of each on each: FastAPI builds its routes' handlers on a worker's first request,
    a one-time cost that is not a read's."""
    conn = await psycopg.AsyncConnection.connect(dsn, autocommit=True)
    for q in asked:
        for _, base in servers.values():
            await ask_http(argparse.Namespace(**{**vars(args), "seconds": 0, "warmup": 1}),
                           base, token, q, None)  # fmt: skip
    rows = []
    for q in asked:
        for _ in range(args.rounds):
            for side, (pid, base) in servers.items():
                stats = await ask_http(args, base, token, q, cpu_clock(pid, conn))
                rows.append((q.name, side, stats.row()))
    await conn.close()
    return rows


class RawHttp:
    """One keep-alive HTTP/1.1 connection for GETs whose answers carry a Content-Length (every
    JSON answer of the API does). Reads each body to its last byte."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, auth: bytes):
        self.reader, self.writer, self.auth = reader, writer, auth

    @classmethod
    async def connect(cls, base: str, token: str) -> RawHttp:
        url = httpx.URL(base)
        reader, writer = await asyncio.open_connection(url.host, url.port)
        return cls(reader, writer, f"Authorization: Bearer {token}\r\n".encode())

    async def get(self, path: str) -> int:
        self.writer.write(
            b"GET " + path.encode() + b" HTTP/1.1\r\nHost: bench\r\n" + self.auth + b"\r\n"
        )
        head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), timeout=30)
        lines = head.split(b"\r\n")
        length = next(
            (int(h.split(b":", 1)[1]) for h in lines if h.lower().startswith(b"content-length:")),
            None,
        )
        if length is None:
            raise RuntimeError(f"{path}: an answer without Content-Length: {lines[0]!r}")
        await self.reader.readexactly(length)
        return int(lines[0].split()[1])

    def close(self) -> None:
        self.writer.close()


def report(
    args: argparse.Namespace, results: list[tuple[str, dict[str, float], dict[str, float]]]
) -> None:
    print(f"\n{args.clients} clients, {args.seconds:.0f}s per question; latency in ms\n")
    print(
        f"{'question':<16} {'side':<4} {'p50':>7} {'p95':>7} {'p99':>7} {'req/s':>7} "
        f"{'errors':>6} {'API p95 / SQL p95':>18} {'server CPU':>10} {'db CPU':>7}"
    )
    for name, api, base_sql in results:
        for side, m in (("API", api), ("SQL", base_sql)):
            ratio = f"{api['p95'] / base_sql['p95']:.2f}" if side == "API" else ""
            cpu = f"{m['server_cpu']:10.2f} {m['db_cpu']:7.2f}" if side == "API" else ""
            print(
                f"{name:<16} {side:<4} {m['p50']:7.1f} {m['p95']:7.1f} {m['p99']:7.1f} "
                f"{m['rps']:7.0f} {int(m['errors']):6d} {ratio:>18} {cpu}"
            )
    print("\nserver CPU: uvicorn's processes, db CPU: their PostgreSQL backends; ms per request")


def report_floor(args: argparse.Namespace, rows: list[FloorRow]) -> None:
    print(f"\n{args.clients} clients, {args.seconds:.0f}s per question and side; ms\n")
    print(
        f"{'question':<16} {'side':<5} {'p50':>6} {'p95':>6} {'req/s':>6} {'errors':>6} "
        f"{'server CPU':>10} {'db CPU':>7}"
    )
    for name, side, m in rows:
        print(
            f"{name:<16} {side:<5} {m['p50']:6.1f} {m['p95']:6.1f} {m['rps']:6.0f} "
            f"{int(m['errors']):6d} {m['server_cpu']:10.2f} {m['db_cpu']:7.2f}"
        )
    print(
        "\nCPU per request, medians over the rounds (ms); app / floor\n\n"
        f"{'question':<16} {'app':>6} {'floor':>6} {'ratio':>6}  "
        f"{'app+db':>6} {'floor+db':>8} {'ratio':>6}"
    )
    for name in dict.fromkeys(r[0] for r in rows):

        def median(side: str, key: str, name: str = name) -> float:
            return statistics.median(
                m["server_cpu"] + (m["db_cpu"] if key == "total" else 0)
                for n, s, m in rows
                if n == name and s == side
            )

        app, floor = median("app", "server"), median("floor", "server")
        app_all, floor_all = median("app", "total"), median("floor", "total")
        print(
            f"{name:<16} {app:6.2f} {floor:6.2f} {app / floor:6.2f}  "
            f"{app_all:6.2f} {floor_all:8.2f} {app_all / floor_all:6.2f}"
        )


# --- CPU per request ---------------------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def _processes() -> dict[int, tuple[int, float]]:
    """Every process on this machine as pid -> (parent pid, CPU seconds of all its threads)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:  # after the command name: state, ppid, ... utime (12th), stime (13th)
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended while listed
        found[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK)
    return found


def tree_cpu(root: int, processes: dict[int, tuple[int, float]]) -> float:
    """CPU seconds used by `root` and its descendants (uvicorn's worker processes)."""
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in processes.items():
        children.setdefault(parent, []).append(pid)
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += processes.get(pid, (0, 0.0))[1]
        todo += children.get(pid, [])
    return total


def cpu_clock(server: int, conn: psycopg.AsyncConnection[Any]) -> CpuClock:
    """A clock of (the server's process tree, the database's other backends) CPU seconds.

    Both read /proc: user + system time of every thread, in clock ticks. The backends are the
    server's pooled connections to the benchmark's database (pool_size covers the clients, so
    none closes during a run); idle ones add nothing. The database part reads 0 when the
    database server runs on another machine."""

    async def read() -> tuple[float, float]:
        cur = await conn.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        backends = [row[0] for row in await cur.fetchall()]
        processes = _processes()
        database = sum(processes.get(pid, (0, 0.0))[1] for pid in backends)
        return tree_cpu(server, processes), database

    return read


FLOOR_QUESTIONS = ("leaderboard", "follower detail", "activity", "content detail")
FLOOR_APP = "benchmarks.api_floor:create_app"
SIDES = ("app", "floor")


def serve(url: str, workers: int, floor: bool = False) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {**os.environ, "FANLENS_DATABASE_URL": url, "FANLENS_LOG_LEVEL": "WARNING"}
    command = [sys.executable, "-m", "fanlens", "serve", "--no-migrate", "--no-worker",
               "--port", str(port), "--workers", str(workers)]  # fmt: skip
    if floor:  # the same worker processes, serving benchmarks/api_floor.py's app
        code = f"serve('127.0.0.1', {port}, {workers}, app='{FLOOR_APP}')"
        command = [sys.executable, "-c", f"from fanlens.server.processes import serve; {code}"]
    server = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(SERVER_LOG, "wb"),  # noqa: SIM115 (the server holds it open until it ends)
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    _wait(base)
    return server, base


def sample_ids(engine: Engine, ws: uuid.UUID) -> tuple[list[str], list[str], str]:
    with Session(engine) as session:
        token = auth_service.create(session=session, workspace_id=ws, name="bench", scope="read")
        session.commit()
    with engine.connect() as conn:
        conn.execute(text("SELECT setseed(0.5)"))
        follower_ids = conn.execute(
            text(
                "SELECT follower_id::text FROM follower_engagement_scores WHERE workspace_id = :ws "
                "ORDER BY random() LIMIT 500"
            ),
            {"ws": ws},
        ).scalars()
        content_ids = conn.execute(
            text("SELECT id::text FROM content_items WHERE workspace_id = :ws"), {"ws": ws}
        ).scalars()
        return list(follower_ids), list(content_ids), token.secret


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", choices=sorted(SIZES), default="medium")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=6.0)
    ap.add_argument("--warmup", type=float, default=1.0)
    ap.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    ap.add_argument("--sql-timeout", type=float, default=30.0, help="seconds per baseline query")
    ap.add_argument("--database", help="reuse this database (built by an earlier --keep run)")
    ap.add_argument("--keep", action="store_true", help="leave the database in place")
    ap.add_argument("--only", help="comma-separated question names")
    ap.add_argument(
        "--floor",
        action="store_true",
        help="compare the app with the same service calls without FastAPI (api_floor.py)",
    )
    ap.add_argument("--rounds", type=int, default=3, help="app/floor turns per question")
    args = ap.parse_args()

    admin = admin_url()
    url = normalize_url(args.database) if args.database else create_db(admin)
    engine = create_engine(url, poolclass=NullPool)
    try:
        migrate.upgrade(engine)
        size = SIZES[args.size]
        if args.database:
            ws = kept_workspace(engine)
            with engine.connect() as conn:
                followers = conn.execute(
                    text("SELECT count(*) FROM followers WHERE workspace_id = :ws"), {"ws": ws}
                ).scalar_one()
            size = Size(followers, 0, 0)
        else:
            t0 = time.perf_counter()
            ws = build_world(engine, size, progress=True)
            print(
                f"world ({args.size}): {size.followers:,} followers, {size.interactions:,} "
                f"interactions, {size.content:,} content x {size.platforms} platforms, "
                f"built in {time.perf_counter() - t0:.0f}s"
            )
        follower_ids, content_ids, token = sample_ids(engine, ws)
        asked = questions(ws, size.followers, follower_ids, content_ids)
        if args.only:
            wanted = set(args.only.split(","))
            asked = [q for q in asked if q.name in wanted]
        if args.floor:
            asked = [q for q in asked if q.name in FLOOR_QUESTIONS]
        dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        started = [serve(url, args.workers)]
        try:
            if args.floor:  # both served at once, asked in turn
                started.append(serve(url, args.workers, floor=True))
                pids = {side: (p.pid, base) for side, (p, base) in zip(SIDES, started, strict=True)}
                report_floor(args, asyncio.run(measure_floor(args, pids, token, dsn, asked)))
            else:
                server, base = started[0]
                report(args, asyncio.run(measure(args, server.pid, base, token, dsn, asked)))
        finally:
            for server, _ in started:
                server.terminate()
            for server, _ in started:
                server.wait(timeout=30)
    finally:
        engine.dispose()
        if args.keep or args.database:
            print(f"\ndatabase kept: {url}")
        else:
            drop_db(admin, url)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(base: str) -> None:
    for _ in range(600):
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError("server did not start")


if __name__ == "__main__":
    main()
