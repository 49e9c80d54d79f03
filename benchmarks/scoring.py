"""Scoring benchmark: full rescore vs a bare weighted GROUP BY, and incremental rescoring.

Builds a world by bulk SQL (generate_series; heavy-tailed: a few followers do most of the
interacting) in a fresh database on the embedded server, then prints timings and ratios:

  full rescore (cold: counts and scores rebuilt from nothing; steady: the nightly case, nothing
  changed) vs `SELECT follower_id, sum(weight) ... GROUP BY follower_id` over the same table
  (goal <= 1.5x), and an ingest batch touching 1 000 followers (goal <= 50 ms).

    .venv/bin/python -m benchmarks.scoring --followers 100000 --interactions 5000000
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.pool import NullPool
from tests.fixtures.database import create_database, drop_database

from fanlens.db import embedded, migrate

BASELINE = text(
    """
    SELECT count(*), sum(score) FROM (
        SELECT follower_id, sum(CASE interaction_type
            WHEN 'comment' THEN 5 WHEN 'like' THEN 1 WHEN 'share' THEN 10 WHEN 'save' THEN 8
            WHEN 'profile_visit' THEN 3 WHEN 'link_click' THEN 15 ELSE 0 END) AS score
        FROM follower_interactions GROUP BY follower_id) t
    """
)

BUILD = [
    """INSERT INTO followers (workspace_id, platform, external_user_id, username)
       SELECT :ws, (ARRAY['tiktok','instagram','youtube','bluesky'])[1 + g % 4], 'u' || g,
              'fan_' || g
       FROM generate_series(1, :followers) g""",
    """CREATE TEMP TABLE bench_followers AS
       SELECT row_number() OVER (ORDER BY id) - 1 AS n, id, platform FROM followers
       WHERE workspace_id = :ws""",
    "CREATE UNIQUE INDEX ON bench_followers (n)",
    # random()^3 skews the pick to low n: a heavy tail of very active followers.
    """INSERT INTO follower_interactions (workspace_id, follower_id, platform, interaction_type,
                                         occurred_at, dedup_key)
       SELECT :ws, f.id, f.platform,
              (ARRAY['like','like','like','like','comment','comment','share','save',
                     'profile_visit','link_click','reply','follow'])[1 + (random() * 11)::int],
              now() - random() * interval '365 days', gen_random_uuid()
       FROM (SELECT floor(:followers * random() ^ 3)::bigint AS n
             FROM generate_series(1, :interactions)) pick
       JOIN bench_followers f USING (n)""",
]


def timed(conn: Connection, fn: Callable[[], object], repeat: int) -> float:
    """Best of `repeat` runs, each in a transaction rolled back afterwards."""
    best = float("inf")
    for _ in range(repeat):
        tx = conn.begin()
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
        tx.rollback()
    return best


def build(conn: Connection, followers: int, interactions: int) -> uuid.UUID:
    ws = conn.execute(text("SELECT id FROM workspaces WHERE name = 'default'")).scalar_one()
    conn.execute(text("SET session_replication_role = replica"))  # bulk load: no triggers
    for sql in BUILD:
        conn.execute(text(sql), {"ws": ws, "followers": followers, "interactions": interactions})
    conn.execute(text("SET session_replication_role = origin"))
    conn.commit()
    return ws


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--followers", type=int, default=100_000)
    parser.add_argument("--interactions", type=int, default=5_000_000)
    parser.add_argument("--touched", type=int, default=1_000)
    parser.add_argument("--data-dir", type=Path, default=Path(".fanlens"))
    args = parser.parse_args()

    admin = embedded.ensure_server(args.data_dir)
    name = f"fanlens_bench_{uuid.uuid4().hex[:8]}"
    url = create_database(admin, name)
    engine = create_engine(url, poolclass=NullPool)
    try:
        migrate.upgrade(engine)
        with engine.connect() as conn:
            started = time.perf_counter()
            ws = build(conn, args.followers, args.interactions)
            print(
                f"world: {args.followers:,} followers, {args.interactions:,} interactions "
                f"built in {time.perf_counter() - started:.1f}s"
            )
            vacuum(engine)
            run(conn, engine, ws, args.touched)
    finally:
        engine.dispose()
        drop_database(admin, name)


def vacuum(engine: Engine) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def run(conn: Connection, engine: Engine, ws: uuid.UUID, touched: int) -> None:
    full = text("SELECT fanlens_rescore_workspace(:ws, true)")
    baseline = timed(conn, lambda: conn.execute(BASELINE).one(), repeat=3)
    cold = timed(conn, lambda: conn.execute(full, {"ws": ws}), repeat=2)
    # Steady state: counts and scores in place (the nightly rescore of an unchanged world).
    conn.execute(full, {"ws": ws})
    conn.commit()
    vacuum(engine)
    steady = timed(conn, lambda: conn.execute(full, {"ws": ws}), repeat=3)
    scores_only = timed(
        conn,
        lambda: conn.execute(text("SELECT fanlens_rescore_workspace(:ws, false)"), {"ws": ws}),
        repeat=3,
    )

    batch = text(
        """INSERT INTO follower_interactions (workspace_id, follower_id, platform,
                                              interaction_type, occurred_at, dedup_key)
           SELECT :ws, f.id, f.platform, 'comment', now(), gen_random_uuid()
           FROM (SELECT id, platform FROM followers WHERE workspace_id = :ws
                 ORDER BY random() LIMIT :n) f"""
    )
    refresh = text(
        """SELECT fanlens_refresh_scores(ARRAY(SELECT id FROM followers WHERE workspace_id = :ws
                                              ORDER BY random() LIMIT :n))"""
    )
    batches, refreshes = [], []
    for _ in range(5):
        batches.append(timed(conn, lambda: conn.execute(batch, {"ws": ws, "n": touched}), 1))
        refreshes.append(timed(conn, lambda: conn.execute(refresh, {"ws": ws, "n": touched}), 1))

    print(f"bare GROUP BY follower_id weighted sum: {baseline * 1000:9.0f} ms")
    for label, seconds in (
        ("full rescore, cold (counts+scores):  ", cold),
        ("full rescore, steady (nightly):      ", steady),
        ("scores-only rescore (fanlens score): ", scores_only),
    ):
        print(f"{label}   {seconds * 1000:9.0f} ms  ratio {seconds / baseline:.2f}x (goal <= 1.5)")
    print(
        f"ingest batch touching {touched:,} followers (insert + triggers), median of 5: "
        f"{statistics.median(batches) * 1000:.1f} ms (goal <= 50)"
    )
    print(
        f"fanlens_refresh_scores of {touched:,} followers, median of 5: "
        f"{statistics.median(refreshes) * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
