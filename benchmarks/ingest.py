"""Ingest benchmark (issue: bulk import near COPY speed).

Prints, in one run on one database server, for each shape of world:
  1. `fanlens import` of a generated world, in its own process: interactions/s, lines/s and
     peak RSS;
  2. the baseline, the database's work alone: the rows the import stored in
     follower_interactions, exported once to a COPY file (outside the clock), then streamed back
     from that file as psql's \\copy does (file chunks written to COPY … FROM STDIN) into a bare
     table with follower_interactions' columns, constraints and indexes;
  3. the per-row path (the follower, the post and the interaction each stored and read back by
     its own statements, and a commit per interaction) on a sample, extrapolated;
  4. peak RSS importing half of the file, to show memory stays flat as the file grows.
Shapes: deep (the size's world: few followers, many interactions each) and wide (the same
interactions over one follower per 5 of them: many followers acting a handful of times each,
where follower upserts weigh most).
Goals: import ≥ 0.5× the COPY's speed, ≥ 50× the per-row path, peak RSS ≤ 250 MB and flat.

    python -m benchmarks.ingest --size small                 # both shapes
    python -m benchmarks.ingest --size small --shape wide    # one
    python -m benchmarks.ingest --size small --shape wide --profile   # where the import's
                                                             # database time goes
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from benchmarks._db import fresh_database
from fanlens.audience.models import Follower
from fanlens.content.models import ContentItem, ContentPost
from fanlens.db.engine import committed
from fanlens.demo.generate import SIZES, generate_world
from fanlens.interactions import ingest, staging_repository
from fanlens.interactions.interchange import InteractionRecord, parse_line
from fanlens.interactions.models import FollowerInteraction

SHAPES = ("deep", "wide")
WIDE_INTERACTIONS_PER_FOLLOWER = 5  # the generator's target mean; most fans act once or twice
COPY_CHUNK = 1 << 20  # bytes read from the COPY file per write


def followers_of(size: str, shape: str) -> int | None:
    """The follower count of a shape (None: the size's own)."""
    if shape == "deep":
        return None
    return SIZES[size]["interactions"] // WIDE_INTERACTIONS_PER_FOLLOWER


def write_world(size: str, seed: int, shape: str, directory: Path) -> tuple[Path, Path, int]:
    """The world as JSONL, plus a file of its first half; returns the line count."""
    full, half = directory / f"{shape}.jsonl", directory / f"{shape}-half.jsonl"
    lines = 0
    with full.open("w", encoding="utf-8") as out:
        world = generate_world(size, seed, followers=followers_of(size, shape))
        for line in world.jsonl_lines():
            out.write(line + "\n")
            lines += 1
    with full.open(encoding="utf-8") as src, half.open("w", encoding="utf-8") as out:
        for i, line in enumerate(src):
            if i >= lines // 2:
                break
            out.write(line)
    return full, half, lines


# Runs `fanlens import` in a child; prints its wall time, when its summary table appeared (the
# load done; linking and the people refresh follow) and the child's peak RSS (KiB).
IMPORT_CHILD = """
import resource, subprocess, sys, time
start, loaded = time.perf_counter(), None
child = subprocess.Popen([sys.executable, "-m", "fanlens", "import", sys.argv[1]],
                         stdout=subprocess.PIPE, text=True)
for line in child.stdout:
    if loaded is None and "import summary" in line:
        loaded = time.perf_counter() - start
if child.wait():
    sys.exit(child.returncode)
end = time.perf_counter() - start
print(end, loaded or end, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def run_import(url: str, path: Path) -> tuple[float, float, float]:
    """Seconds, seconds until the load was done (the summary printed) and peak RSS (MB) of
    `fanlens import PATH` in its own process."""
    env = {
        **os.environ,
        "FANLENS_DATABASE_URL": url,
        "FANLENS_LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    checkpoint(url)
    out = subprocess.run(
        [sys.executable, "-c", IMPORT_CHILD, str(path)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    seconds, loaded, kib = out.stdout.split()
    return float(seconds), float(loaded), int(kib) / 1024


def libpq(url: str) -> str:
    """A SQLAlchemy URL as psycopg takes it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def checkpoint(url: str) -> None:
    """Flush dirty buffers first, so a phase does not pay for the one before it."""
    with psycopg.connect(libpq(url), autocommit=True) as conn:
        conn.execute("CHECKPOINT")


def stored_counts(url: str) -> tuple[int, int]:
    with psycopg.connect(libpq(url)) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM follower_interactions), (SELECT count(*) FROM followers)"
        ).fetchone()
    assert row is not None
    return row[0], row[1]


def export_rows(url: str, path: Path) -> None:
    """The imported rows of follower_interactions as a COPY text file (psql's \\copy TO)."""
    with (
        psycopg.connect(libpq(url)) as conn,
        conn.cursor() as cur,
        cur.copy("COPY follower_interactions TO STDOUT") as copy,
        path.open("wb") as out,
    ):
        for chunk in copy:
            out.write(chunk)


def raw_copy(url: str, path: Path) -> tuple[float, int]:
    """Stream the COPY file into a bare table with follower_interactions' columns, constraints
    and indexes (no triggers), as psql's \\copy FROM does; seconds and rows."""
    with psycopg.connect(libpq(url)) as conn:
        conn.execute("CREATE TABLE bare (LIKE follower_interactions INCLUDING ALL)")
        conn.commit()
    checkpoint(url)
    with psycopg.connect(libpq(url)) as conn:
        start = time.perf_counter()
        with (
            conn.cursor() as cur,
            cur.copy("COPY bare FROM STDIN") as copy,
            path.open("rb") as src,
        ):
            while chunk := src.read(COPY_CHUNK):
                copy.write(chunk)
        conn.commit()
        seconds = time.perf_counter() - start
        rows = conn.execute("SELECT count(*) FROM bare").fetchone()
    assert rows is not None
    return seconds, rows[0]


def per_row(url: str, path: Path, sample: int) -> tuple[float, int]:
    """The origin's planned path: a round trip and a commit per interaction."""
    engine = create_engine(url)
    done = 0
    start = time.perf_counter()
    with Session(engine) as session, path.open("rb") as src:
        ws = session.execute(text("SELECT id FROM workspaces WHERE name = 'default'")).scalar_one()
        for number, raw in enumerate(src, start=1):
            rec = parse_line(raw.rstrip(b"\n"), number)
            if not isinstance(rec, InteractionRecord):
                continue
            store_one(session, ws, rec)
            session.commit()
            done += 1
            if done >= sample:
                break
    seconds = time.perf_counter() - start
    engine.dispose()
    return seconds, done


def store_one(session: Session, ws: uuid.UUID, rec: InteractionRecord) -> None:
    """One interaction stored on its own: the follower upserted and read back, the post looked up
    (created as a placeholder when new), the interaction inserted unless already stored and read
    back — the statements a one-row store runs, each a round trip."""
    profile = {"username": rec.user.username} if rec.user.username is not None else {}
    stmt = insert(Follower).values(
        workspace_id=ws,
        platform=rec.platform,
        external_user_id=rec.user.external_user_id,
        **profile,
    )
    follower_id = session.execute(
        stmt.on_conflict_do_update(
            index_elements=["workspace_id", "platform", "external_user_id"],
            set_={k: stmt.excluded[k] for k in profile} or {"platform": stmt.excluded.platform},
        ).returning(Follower.id)
    ).scalar_one()
    follower = session.scalars(
        select(Follower).where(Follower.workspace_id == ws, Follower.id == follower_id)
    ).one()
    session.refresh(follower)
    post_id = content_id = None
    if rec.external_post_id:
        post = _post(session, ws, rec.platform, rec.external_post_id)
        if post is None:
            item = insert(ContentItem).values(
                workspace_id=ws, slug=f"{rec.platform}:{rec.external_post_id}", title=None
            )
            item_id = session.execute(
                item.on_conflict_do_update(
                    index_elements=["workspace_id", "slug"], set_={"slug": item.excluded.slug}
                ).returning(ContentItem.id)
            ).scalar_one()
            session.execute(
                insert(ContentPost)
                .values(
                    workspace_id=ws,
                    content_id=item_id,
                    platform=rec.platform,
                    external_post_id=rec.external_post_id,
                    is_placeholder=True,
                )
                .on_conflict_do_nothing()
            )
            post = _post(session, ws, rec.platform, rec.external_post_id)
            assert post is not None
        post_id, content_id = post.id, post.content_id
    session.execute(
        insert(FollowerInteraction)
        .values(
            workspace_id=ws,
            follower_id=follower_id,
            content_id=content_id,
            content_post_id=post_id,
            platform=rec.platform,
            interaction_type=rec.interaction_type,
            interaction_value=rec.text,
            external_id=rec.external_id,
            parent_external_id=rec.parent_external_id,
            occurred_at=rec.occurred_at or func.now(),
            time_precision="exact" if rec.occurred_at else "observed",
            observed_at=func.now(),
            dedup_key=rec.key,
        )
        .on_conflict_do_nothing(index_elements=["workspace_id", "platform", "dedup_key"])
        .returning(FollowerInteraction.id)
    )
    session.scalars(
        select(FollowerInteraction).where(
            FollowerInteraction.workspace_id == ws,
            FollowerInteraction.platform == rec.platform,
            FollowerInteraction.dedup_key == rec.key,
        )
    ).one()


def _post(
    session: Session, ws: uuid.UUID, platform: str, external_post_id: str
) -> ContentPost | None:
    return session.scalars(
        select(ContentPost).where(
            ContentPost.workspace_id == ws,
            ContentPost.platform == platform,
            ContentPost.external_post_id == external_post_id,
        )
    ).one_or_none()


# The tables whose user triggers keep derived rows current during an import.
TRIGGERED_TABLES = ("followers", "follower_interactions", "content_posts", "content_items")


def profile(url: str, path: Path, *, triggers: bool) -> dict[str, float]:
    """Import PATH in this process, timing each statement of the staging pipeline (seconds by
    its name in staging_repository), the commits and the whole; `triggers=False` disables the
    user triggers of the tables an import writes, so the difference is the triggers' cost."""
    engine = create_engine(url)
    if not triggers:
        with engine.begin() as conn:
            for table in TRIGGERED_TABLES:
                conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
    totals: dict[str, float] = defaultdict(float)
    factory = sessionmaker(bind=engine, expire_on_commit=False)

    @contextmanager
    def scope() -> Iterator[Session]:
        with committed(factory) as session:
            yield session
            start = time.perf_counter()
        totals["commit"] += time.perf_counter() - start

    with Session(engine) as session:
        ws = session.execute(text("SELECT id FROM workspaces WHERE name = 'default'")).scalar_one()
    checkpoint(url)
    start = time.perf_counter()
    with timed_statements(totals), path.open("rb") as stream:
        ingest.import_stream(
            stream,
            workspace_id=ws,
            source=str(path),
            session_scope=scope,
            batch_size=20_000,
            bulk=True,
        )
    totals["whole import_stream"] = time.perf_counter() - start
    engine.dispose()
    return dict(totals)


@contextmanager
def timed_statements(totals: dict[str, float]) -> Iterator[None]:
    """Time staging_repository's statements and COPYs, and each batch's store as a whole."""
    names = {
        value: name
        for name, value in vars(staging_repository).items()
        if name.isupper() and isinstance(value, str)
    }
    run, copy_rows, store = (
        staging_repository._run,
        staging_repository._copy_rows,
        ingest.store_batch,
    )

    def timed(key: Callable[..., str], fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                totals[key(*args, **kwargs)] += time.perf_counter() - start

        return wrapper

    staging_repository._run = timed(lambda _s, sql, _w: names.get(sql, "other"), run)
    staging_repository._copy_rows = timed(lambda _s, table, *_: f"COPY {table}", copy_rows)
    ingest.store_batch = timed(lambda *_, **__: "store_batch (all of a batch)", store)
    try:
        yield
    finally:
        staging_repository._run, staging_repository._copy_rows = run, copy_rows
        ingest.store_batch = store


def print_profile(on: dict[str, float], off: dict[str, float]) -> None:
    print(f"  {'statement':40} {'triggers on':>12} {'off':>8} {'triggers':>9}")
    for name in sorted(on, key=lambda n: -on[n]):
        spent, bare = on[name], off.get(name, 0.0)
        print(f"  {name:40} {spent:11.2f}s {bare:7.2f}s {spent - bare:8.2f}s")


def measure_shape(args: argparse.Namespace, shape: str, directory: Path) -> dict[str, Any]:
    t0 = time.perf_counter()
    full, half, lines = write_world(args.size, args.seed, shape, directory)
    print(
        f"\n== {shape} world ({args.size}, seed {args.seed}): {lines:,} lines "
        f"(generated in {time.perf_counter() - t0:.0f}s)"
    )
    if args.profile:
        on = profile(fresh_database(f"prof_{shape}"), full, triggers=True)
        off = profile(fresh_database(f"prof_{shape}_bare"), full, triggers=False)
        print_profile(on, off)
        return {}

    url = fresh_database(f"import_{shape}")
    seconds, loaded, rss_full = run_import(url, full)
    interactions, followers = stored_counts(url)
    print(f"stored: {interactions:,} interactions of {followers:,} followers")
    print(
        f"fanlens import:   {seconds:8.1f}s  {interactions / seconds:10,.0f} interactions/s  "
        f"{lines / seconds:10,.0f} lines/s"
    )
    print(
        f"  of which the load {loaded:.1f}s, then {seconds - loaded:.1f}s "
        "(content linking, people refresh)"
    )
    copy_file = directory / f"{shape}.copy"
    export_rows(url, copy_file)
    copy_seconds, copied = raw_copy(url, copy_file)
    assert copied == interactions
    print(
        f"COPY from file:   {copy_seconds:8.1f}s  {copied / copy_seconds:10,.0f} rows/s "
        f"({copy_file.stat().st_size / 1e6:,.0f} MB; bare table, same indexes)"
    )
    row_seconds, sampled = per_row(fresh_database(f"perrow_{shape}"), full, args.per_row_sample)
    row_rate = sampled / row_seconds
    print(
        f"per-row path:     {row_seconds:8.1f}s  {row_rate:10,.0f} interactions/s "
        f"(sample of {sampled:,}, extrapolated: {interactions / row_rate:,.0f}s for all)"
    )
    *_, rss_half = run_import(fresh_database(f"rsshalf_{shape}"), half)
    result = {
        "shape": shape,
        "interactions": interactions,
        "followers": followers,
        "import_s": round(seconds, 1),
        "load_s": round(loaded, 1),
        "copy_s": round(copy_seconds, 1),
        "import_vs_copy": round(copy_seconds / seconds, 3),
        "import_vs_per_row": round(interactions / seconds / row_rate, 1),
        "peak_rss_mb_full": round(rss_full, 1),
        "peak_rss_mb_half": round(rss_half, 1),
    }
    print(f"import ÷ COPY speed = {result['import_vs_copy']}  (goal ≥ 0.5)")
    print(f"import ÷ per-row    = {result['import_vs_per_row']}  (goal ≥ 50)")
    print(
        f"peak RSS: {rss_half:.0f} MB for half the file, {rss_full:.0f} MB for all of it "
        "(goal ≤ 250 MB and flat)"
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", default="medium", choices=list(SIZES))
    parser.add_argument("--shape", default="both", choices=[*SHAPES, "both"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--per-row-sample", type=int, default=2000)
    parser.add_argument(
        "--profile",
        action="store_true",
        help="time the import's statements with triggers on and off instead",
    )
    args = parser.parse_args()
    shapes = SHAPES if args.shape == "both" else (args.shape,)
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="fl-ingest-bench-") as tmp:
        results = [measure_shape(args, shape, Path(tmp)) for shape in shapes]
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if not args.profile:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
