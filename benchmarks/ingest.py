"""Ingest benchmark (issue: ingest at COPY speed).

Prints, in one run on one database server:
  1. `fanlens import` of a generated world: interactions/s and lines/s, peak RSS;
  2. raw COPY of the same interaction rows into a bare table with the same indexes — the
     physical limit on this machine;
  3. the per-row path (the follower, the post and the interaction each stored and read back by
     its own statements, and a commit per interaction) on a sample, extrapolated;
  4. peak RSS importing half of the file, to show memory stays flat as the file grows.
Goals: import ≥ 0.6× raw COPY, ≥ 50× the per-row path, peak RSS ≤ 250 MB and flat.

    python benchmarks/ingest.py --size medium        # the issue's figure (≈ 5 M interactions)
    python benchmarks/ingest.py --size small         # a quick look
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from benchmarks._db import fresh_database
from fanlens.audience.models import Follower
from fanlens.content.models import ContentItem, ContentPost
from fanlens.demo.generate import generate_world
from fanlens.interactions.interchange import InteractionRecord, parse_line
from fanlens.interactions.models import FollowerInteraction


def write_world(size: str, seed: int, directory: Path) -> tuple[Path, Path, int]:
    """The world as JSONL, plus a file of its first half; returns the interaction count."""
    full, half = directory / "world.jsonl", directory / "half.jsonl"
    lines = 0
    with full.open("w", encoding="utf-8") as out:
        for line in generate_world(size, seed).jsonl_lines():
            out.write(line + "\n")
            lines += 1
    with full.open(encoding="utf-8") as src, half.open("w", encoding="utf-8") as out:
        for i, line in enumerate(src):
            if i >= lines // 2:
                break
            out.write(line)
    interactions = sum(1 for line in full.open(encoding="utf-8") if '"type":"interaction"' in line)
    return full, half, interactions


def run_import(url: str, path: Path) -> tuple[float, int]:
    """Seconds and peak RSS (KiB) of `fanlens import PATH` in its own process."""
    env = {**os.environ, "FANLENS_DATABASE_URL": url, "FANLENS_LOG_LEVEL": "WARNING"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "fanlens", "import", str(path)],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before)


def peak_rss_of(url: str, path: Path) -> int:
    env = {**os.environ, "FANLENS_DATABASE_URL": url, "FANLENS_LOG_LEVEL": "WARNING"}
    code = (
        "import resource, subprocess, sys; "
        "subprocess.run([sys.executable, '-m', 'fanlens', 'import', sys.argv[1]], "
        "check=True, stdout=subprocess.DEVNULL); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(path)], env=env, check=True, capture_output=True, text=True
    )
    return int(out.stdout.strip())


def raw_copy(url: str, path: Path) -> tuple[float, int]:
    """COPY the interaction rows into a bare table with follower_interactions' indexes."""
    rows = io.StringIO()
    ws, n = uuid.uuid4(), 0
    with path.open("rb") as src:
        for number, raw in enumerate(src, start=1):
            rec = parse_line(raw.rstrip(b"\n"), number)
            if not isinstance(rec, InteractionRecord):
                continue
            fields = [
                uuid.uuid4(),
                ws,
                uuid.uuid4(),
                uuid.uuid4(),
                uuid.uuid4(),
                rec.platform,
                rec.interaction_type,
                rec.text,
                rec.external_id,
                rec.parent_external_id,
                (rec.occurred_at.isoformat() if rec.occurred_at else "2026-01-01T00:00Z"),
                "exact",
                "2026-01-01T00:00Z",
                rec.key,
            ]
            rows.write("\t".join(_copy_text(f) for f in fields) + "\n")
            n += 1
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE bare (LIKE follower_interactions INCLUDING DEFAULTS "
                "INCLUDING INDEXES)"
            )
        )
    data = rows.getvalue()
    chunk = 8 << 20
    start = time.perf_counter()
    with engine.begin() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        with (
            raw.cursor() as cur,
            cur.copy(
                "COPY bare (id, workspace_id, follower_id, content_id, content_post_id, platform, "
                "interaction_type, interaction_value, external_id, parent_external_id, "
                "occurred_at, "
                "time_precision, observed_at, dedup_key) FROM STDIN"
            ) as copy,
        ):
            for i in range(0, len(data), chunk):
                copy.write(data[i : i + chunk])
    seconds = time.perf_counter() - start
    engine.dispose()
    return seconds, n


def _copy_text(value: object) -> str:
    if value is None:
        return "\\N"
    return (
        str(value)
        .replace("\\", "\\\\")
        .replace("\t", "\\t")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
    )


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", default="medium", choices=["tiny", "small", "medium", "large"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--per-row-sample", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fl-ingest-bench-") as tmp:
        t0 = time.perf_counter()
        full, half, interactions = write_world(args.size, args.seed, Path(tmp))
        lines = sum(1 for _ in full.open("rb"))
        print(
            f"world: {args.size}, {lines:,} lines, {interactions:,} interactions "
            f"(generated in {time.perf_counter() - t0:.0f}s)"
        )

        seconds, _ = run_import(fresh_database("import"), full)
        import_rate = interactions / seconds
        print(
            f"fanlens import:   {seconds:8.1f}s  {import_rate:10,.0f} interactions/s  "
            f"{lines / seconds:10,.0f} lines/s"
        )

        copy_seconds, copied = raw_copy(fresh_database("copy"), full)
        copy_rate = copied / copy_seconds
        print(
            f"raw COPY:         {copy_seconds:8.1f}s  {copy_rate:10,.0f} rows/s (bare table, "
            "same indexes)"
        )

        row_seconds, sampled = per_row(fresh_database("perrow"), full, args.per_row_sample)
        row_rate = sampled / row_seconds
        print(
            f"per-row path:     {row_seconds:8.1f}s  {row_rate:10,.0f} interactions/s "
            f"(sample of {sampled:,}, extrapolated: {interactions / row_rate:,.0f}s for all)"
        )

        rss_full = peak_rss_of(fresh_database("rssfull"), full) / 1024
        rss_half = peak_rss_of(fresh_database("rsshalf"), half) / 1024
        result = {
            "import_vs_raw_copy": round(import_rate / copy_rate, 3),
            "import_vs_per_row": round(import_rate / row_rate, 1),
            "peak_rss_mb_full": round(rss_full, 1),
            "peak_rss_mb_half": round(rss_half, 1),
            "rss_growth_when_file_doubles": round(rss_full / rss_half, 3),
        }
        print(f"import / raw COPY = {result['import_vs_raw_copy']}  (goal ≥ 0.6)")
        print(f"import / per-row  = {result['import_vs_per_row']}  (goal ≥ 50)")
        print(
            f"peak RSS: {rss_half:.0f} MB for half the file, {rss_full:.0f} MB for all of it "
            "(goal ≤ 250 MB and flat)"
        )
        print(json.dumps(result))


if __name__ == "__main__":
    main()
