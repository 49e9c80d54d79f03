"""Retention matrix of 52 weekly cohorts on the medium world (goal ≤ 300 ms), against a plain
read of the follower_cohorts view in the same run.

    .venv/bin/python -m benchmarks.analytics [--size medium] [--runs 15] [--database URL] [--keep]

Builds the API benchmark's world (bulk SQL, `benchmarks.api.build_world`) in a database of its
own, with the retention trigger off during the bulk load and the periods and matrix derived
once after (fanlens_retention_rebuild_workspace; each step's time is printed). Then prints the
median and p95 (ms) of

  - the retention matrix through the service (bounded "on" and unbounded "on or after"),
  - the same matrix computed from the interaction log (types = every type: the slow path the
    trigger-kept cells replace), measured a few times only,
  - the baseline: `SELECT * FROM follower_cohorts WHERE workspace_id = :ws` (cohorts x platforms),

and the ratio to the baseline; and the cost the retention trigger adds to an ingest batch
(1 000 interactions of 1 000 followers, trigger on vs off).
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from benchmarks.api import SIZES, admin_url, build_world, create_db, drop_db, kept_workspace
from fanlens.analytics import retention
from fanlens.db import migrate
from fanlens.db.engine import normalize_url

GOAL_MS = 300.0
TRIGGER = "trg_follower_interactions_retention_inserted"
BASELINE = text("SELECT * FROM follower_cohorts WHERE workspace_id = :ws")
BATCH = text(
    """
    INSERT INTO follower_interactions (workspace_id, follower_id, platform, interaction_type,
                                       occurred_at, dedup_key)
    SELECT :ws, f.id, f.platform, 'like', now() - random() * interval '30 days',
           gen_random_uuid()
    FROM (SELECT id, platform FROM followers WHERE workspace_id = :ws
          ORDER BY random() LIMIT 1000) f
    """
)


def timed(fn: Callable[[], Any], runs: int) -> list[float]:
    fn()  # warm: plans and caches
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def line(name: str, ms: list[float], base: float) -> None:
    p50 = statistics.median(ms)
    p95 = sorted(ms)[max(0, round(0.95 * len(ms)) - 1)]
    print(f"{name:<44} p50 {p50:8.1f} ms  p95 {p95:8.1f} ms  x{p50 / base:6.1f} baseline")


def build(engine: Engine, size: str) -> uuid.UUID:
    started = time.perf_counter()
    ws = build_world(engine, SIZES[size], progress=True)  # derives the retention cells once
    print(f"world ({size}) built in {time.perf_counter() - started:.0f} s")
    return ws


def measure(engine: Engine, ws: uuid.UUID, runs: int) -> None:
    with Session(engine) as session:
        counts = session.execute(
            text(
                "SELECT (SELECT count(*) FROM followers WHERE workspace_id = :ws),"
                " (SELECT count(*) FROM follower_interactions WHERE workspace_id = :ws),"
                " (SELECT count(*) FROM follower_active_periods WHERE workspace_id = :ws),"
                " (SELECT count(*) FROM retention_cells WHERE workspace_id = :ws)"
            ),
            {"ws": ws},
        ).one()
        print(
            f"{counts[0]:,} followers, {counts[1]:,} interactions, {counts[2]:,} active "
            f"periods, {counts[3]:,} retention cells"
        )
        base = statistics.median(timed(lambda: session.execute(BASELINE, {"ws": ws}).all(), runs))
        print(f"{'baseline: follower_cohorts view':<44} p50 {base:8.1f} ms")
        for mode in ("on", "on_or_after"):

            def run(mode: Any = mode) -> object:
                return retention.matrix(session=session, workspace_id=ws, periods=52, mode=mode)

            ms = timed(run, runs)
            line(f"retention 52 weekly cohorts ({mode})", ms, base)
            verdict = "OK" if statistics.median(ms) <= GOAL_MS else "OVER"
            print(f"{'':<44} goal ≤ {GOAL_MS:.0f} ms: {verdict}")
        types = list(
            session.scalars(
                text("SELECT DISTINCT interaction_type FROM follower_interaction_counts")
            )
        )
        ms = timed(
            lambda: retention.matrix(session=session, workspace_id=ws, periods=52, types=types),
            2,
        )
        line("from the log (every type named)", ms, base)
        session.rollback()


def trigger_cost(engine: Engine, ws: uuid.UUID, runs: int) -> None:
    results = {}
    for state in ("ENABLE", "DISABLE"):
        ms = []
        for _ in range(runs):
            with engine.connect() as conn:
                conn.execute(text(f"ALTER TABLE follower_interactions {state} TRIGGER {TRIGGER}"))
                started = time.perf_counter()
                conn.execute(BATCH, {"ws": ws})
                ms.append((time.perf_counter() - started) * 1000)
                conn.rollback()
        results[state] = statistics.median(ms)
    on, off = results["ENABLE"], results["DISABLE"]
    print(f"ingest batch of 1 000: {on:.1f} ms with the retention trigger, {off:.1f} ms without")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", choices=sorted(SIZES), default="medium")
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--database", help="reuse this database (built by an earlier --keep run)")
    ap.add_argument("--keep", action="store_true", help="leave the database in place")
    args = ap.parse_args()
    admin = admin_url()
    url = normalize_url(args.database) if args.database else create_db(admin)
    engine = create_engine(url, poolclass=NullPool)
    try:
        migrate.upgrade(engine)
        ws = kept_workspace(engine) if args.database else build(engine, args.size)
        measure(engine, ws, args.runs)
        trigger_cost(engine, ws, 5)
    finally:
        engine.dispose()
        if args.keep or args.database:
            print(f"database kept: {url}")
        else:
            drop_db(admin, url)


if __name__ == "__main__":
    main()
