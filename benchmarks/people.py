"""People benchmark (issue 10): identity resolution quality and the cost of the 1 : 1 trigger.

Prints, in one run on one database server:
  1. automatic merges on a world with planted cross-platform people: precision and recall at
     the default threshold (link evidence only) and at 0.7 (same handle too), per evidence kind;
  2. follower ingest (the real ingest path, new followers only, where the trigger does its work)
     with the people trigger on and off, alternating rounds; the ratio is the trigger's cost.
Goal: precision of automatic merges >= 0.98; follower ingest with the trigger <= 1.3x without.

    python benchmarks/people.py --size small
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import uuid
from collections import Counter

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session
from tests.people.helpers import load, merged_pairs, planted_pairs, precision_recall

from benchmarks._db import fresh_database
from fanlens.demo.generate import World, generate_world
from fanlens.interactions.ingest import ingest_records
from fanlens.people import service
from fanlens.workspaces import service as workspace_service


def quality(session: Session, world: World, threshold: float) -> dict[str, float]:
    ws = workspace_service.create(session=session, name=f"q-{uuid.uuid4().hex[:6]}")
    ids = load(session, workspace_id=ws.id, world=world, interactions=False)
    started = time.perf_counter()
    run = service.refresh_suggestions(session=session, workspace_id=ws.id, auto_merge_at=threshold)
    took = time.perf_counter() - started
    precision, recall = precision_recall(merged_pairs(session, ws.id), planted_pairs(world, ids))
    kinds = Counter(
        s.kind for s in service.suggestions(session=session, workspace_id=ws.id, limit=10**6)
    )
    print(
        f"threshold {threshold:.2f}: {run.auto_merged:5d} automatic merges  "
        f"precision {precision:.3f}  recall {recall:.3f}  "
        f"({run.candidates} candidate pairs in {took:.1f}s; pending by kind {dict(kinds)})"
    )
    return {"precision": round(precision, 4), "recall": round(recall, 4)}


def follower_ingest(session: Session, world: World, trigger: bool, full: bool = False) -> float:
    """Seconds to ingest the world's followers (or, with full, everything) into a new
    workspace, so every follower is new."""
    ws = workspace_service.create(session=session, name=f"t-{uuid.uuid4().hex[:6]}")
    state = "ENABLE" if trigger else "DISABLE"
    session.execute(text(f"ALTER TABLE followers {state} TRIGGER followers_people"))
    records = [r for r in world.records() if full or r["type"] == "follower"]
    started = time.perf_counter()
    ingest_records(session, workspace_id=ws.id, records=records, source="bench")
    took = time.perf_counter() - started
    session.execute(text("ALTER TABLE followers ENABLE TRIGGER followers_people"))
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", default="small", choices=["tiny", "small", "medium"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--trigger-only", action="store_true", help="Skip the quality part.")
    parser.add_argument(
        "--full-ingest", action="store_true", help="Time whole-world ingests, not followers only."
    )
    args = parser.parse_args()
    world = generate_world(args.size, args.seed)
    print(
        f"world: {args.size}, {len(world.fans):,} identities, "
        f"{len(world.planted_people()):,} planted people on several platforms"
    )
    engine = create_engine(fresh_database("people"))
    figures: dict[str, object] = {}
    if not args.trigger_only:
        with Session(engine) as session:
            figures["default"] = quality(session, world, 0.9)
            figures["handles"] = quality(session, world, 0.7)
            session.rollback()
    trigger_cost(engine, world, args.rounds, figures, full=args.full_ingest)


def trigger_cost(
    engine: Engine, world: World, rounds: int, figures: dict[str, object], *, full: bool
) -> None:
    on: list[float] = []
    off: list[float] = []
    for _ in range(rounds):  # alternate, so load changes on the machine hit both alike
        for trigger, out in ((True, on), (False, off)):
            with Session(engine) as session:
                out.append(follower_ingest(session, world, trigger, full))
                session.rollback()
    ratio = statistics.median(on) / statistics.median(off)
    print(
        f"{'whole-world' if full else 'follower'} ingest ({len(world.fans):,} new followers, "
        f"median of {rounds}): "
        f"trigger on {statistics.median(on):.3f}s, off {statistics.median(off):.3f}s, "
        f"ratio {ratio:.2f}  (goal <= 1.3)"
    )
    figures["trigger_ratio"] = round(ratio, 3)
    print(json.dumps(figures))
    engine.dispose()


if __name__ == "__main__":
    main()
