"""Username search on a server with pg_trgm: the trigram index against reading every follower.

    bash scripts/system-postgres.sh            # prints a server's URL (Debian's PostgreSQL)
    FANLENS_DATABASE_URL=URL .venv/bin/python -m benchmarks.search --followers 1000000

Builds a migrated database of its own on FANLENS_DATABASE_URL's server with `--followers`
followers (handles `fan_<n>`, as the large world's), merges the trigram index's pending list and
analyzes, as a running database's autovacuum does. Then times, `--requests` times each, the
followers page's tier counts of a search (`_TIERS_OF_USERNAMES`) for a rare term and a common
one: as the planner runs it, and with bitmap scans off (the baseline: the plan of a server
without the index, which reads every follower), in the same run. Prints p50 and p95 in ms and
the ratio. The database is dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.pool import NullPool

from benchmarks._db import fresh_database
from fanlens.analytics import repository
from fanlens.db.engine import normalize_url
from fanlens.kit.sql import handle_contains

FOLLOWERS = """
INSERT INTO followers (workspace_id, platform, external_user_id, username)
SELECT :ws, (ARRAY['tiktok', 'instagram', 'youtube', 'bluesky', 'mastodon'])[1 + n % 5],
       'u' || n, 'fan_' || n
FROM generate_series(1, :n) n
"""
TERMS = {"rare (11 matches)": "fan_99999", "common (capped)": "fan_1"}


def _times(conn: Connection, ws: uuid.UUID, term: str, requests: int) -> list[float]:
    params = {"ws": ws, "q": handle_contains(term), "platform": None, "cap": 1000}
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        conn.execute(repository._TIERS_OF_USERNAMES, params).all()
        times.append((time.perf_counter() - start) * 1000)
    return times


def _scans(conn: Connection, ws: uuid.UUID, term: str) -> str:
    """The plan's scans of followers, with their actual time (ms)."""
    params = {"ws": ws, "q": handle_contains(term), "platform": None, "cap": 1000}
    plan = conn.execute(
        text("EXPLAIN (ANALYZE, FORMAT JSON) " + str(repository._TIERS_OF_USERNAMES)), params
    ).scalar_one()
    found: list[str] = []

    def walk(node: dict) -> None:  # type: ignore[type-arg]
        if node.get("Relation Name") == "followers" or "Index Name" in node:
            name = node.get("Index Name", node.get("Relation Name"))
            found.append(f"{node['Node Type']} {name} {node['Actual Total Time']:.1f} ms")
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return "; ".join(found)


def _p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20)[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--followers", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    if not os.environ.get("FANLENS_DATABASE_URL"):
        sys.exit("set FANLENS_DATABASE_URL to a server with pg_trgm (scripts/system-postgres.sh)")
    url = fresh_database("search")
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            if conn.scalar(text("SELECT to_regclass('ix_followers_username_trgm')")) is None:
                sys.exit("this server has no pg_trgm: the index was not made")
            ws = uuid.UUID(str(conn.scalar(text("SELECT id FROM workspaces LIMIT 1"))))
            start = time.perf_counter()
            conn.execute(text(FOLLOWERS), {"ws": ws, "n": args.followers})
            conn.execute(text("SELECT gin_clean_pending_list('ix_followers_username_trgm')"))
            conn.execute(text("ANALYZE followers"))
            print(f"{args.followers:,} followers stored in {time.perf_counter() - start:.0f} s")
        print(f"{'search':<18} {'index p50':>10} {'p95':>8} | {'every follower p50':>18} "
              f"{'p95':>8} | p95 ratio")  # fmt: skip
        for label, term in TERMS.items():
            # Each on a connection of its own: psycopg prepares a statement run 5 times, and a
            # prepared plan would outlive the SET.
            with engine.begin() as conn:
                indexed = _times(conn, ws, term, args.requests)
                plans = [_scans(conn, ws, term)]
            with engine.begin() as conn:
                conn.execute(text("SET LOCAL enable_bitmapscan = off"))
                scanned = _times(conn, ws, term, args.requests)
                plans.append(_scans(conn, ws, term))
            print(f"{label:<18} {statistics.median(indexed):>10.1f} {_p95(indexed):>8.1f} | "
                  f"{statistics.median(scanned):>18.1f} {_p95(scanned):>8.1f} | "
                  f"{_p95(indexed) / _p95(scanned):.3f} ×")  # fmt: skip
            print(f"  with the index: {plans[0]}\n  without: {plans[1]}")
    finally:
        engine.dispose()
        admin = create_engine(
            normalize_url(os.environ["FANLENS_DATABASE_URL"]),
            isolation_level="AUTOCOMMIT",
            poolclass=NullPool,
        )
        with admin.connect() as conn:
            name = engine.url.database
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
