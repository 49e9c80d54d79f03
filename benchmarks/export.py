"""The CSV export of every follower: rows, time and the server's peak memory.

    .venv/bin/python -m benchmarks.export --database URL     # a kept world (benchmarks.api --keep)
    .venv/bin/python -m benchmarks.export --size medium       # build one, export, drop it

Serves the world with `fanlens serve --workers 1` (one process holds the whole export), then asks
`GET /api/social-analytics/followers?format=csv` for one platform's followers (the first by
name; `--each-platform`: every platform's) and for every follower, each on a freshly started
server. While the answer streams in, a thread reads the
resident memory (VmRSS) of the server's process tree from /proc every 20 ms. Prints per export
the rows, megabytes, seconds, rows/s, the server's RSS after a warm-up request and its peak
during the export. An export that streams holds one batch of rows at a time: its peak is the
same for one platform's followers as for all of them.
"""

from __future__ import annotations

import argparse
import csv
import threading
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from benchmarks.api import (
    API,
    SIZES,
    admin_url,
    build_world,
    create_db,
    drop_db,
    kept_workspace,
    serve,
)
from fanlens.auth import service as auth_service
from fanlens.db import migrate
from fanlens.db.engine import normalize_url


def tree_rss(root: int) -> int:
    """Resident bytes of `root` and its descendants."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            children.setdefault(parent, []).append(int(entry.name))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


class PeakRss:
    """The highest tree_rss(root) seen from start() to stop()."""

    def __init__(self, root: int) -> None:
        self.root, self.peak, self._done = root, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._done.is_set():
            self.peak = max(self.peak, tree_rss(self.root))
            self._done.wait(0.02)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._done.set()
        self._thread.join()


def export(url: str, token: str, query: str) -> tuple[int, int, float, int, int]:
    """(rows, bytes, seconds, RSS after a warm-up, peak RSS) of one export on a fresh server."""
    server, base = serve(url, workers=1)
    try:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base + API, headers=headers, timeout=600) as client:
            client.get("/followers?limit=50").raise_for_status()  # warm: imports, pool, plans
            client.get("/followers?format=csv&min_score=1e14").raise_for_status()  # no rows
            settled = tree_rss(server.pid)
            rows = size = 0
            started = time.perf_counter()
            with (
                PeakRss(server.pid) as peak,
                client.stream("GET", f"/followers?format=csv{query}") as response,
            ):
                response.raise_for_status()
                lines = response.iter_lines()
                for _ in csv.reader(lines):
                    rows += 1
                size = response.num_bytes_downloaded
            seconds = time.perf_counter() - started
        return rows - 1, size, seconds, settled, peak.peak  # less the header row
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", choices=sorted(SIZES), default="medium")
    ap.add_argument("--database", help="reuse this database (built by an earlier --keep run)")
    ap.add_argument("--keep", action="store_true", help="leave the database in place")
    ap.add_argument("--each-platform", action="store_true", help="export each platform's too")
    args = ap.parse_args()
    admin = admin_url()
    url = normalize_url(args.database) if args.database else create_db(admin)
    engine = create_engine(url, poolclass=NullPool)
    try:
        migrate.upgrade(engine)
        if args.database:
            ws = kept_workspace(engine)
        else:
            ws = build_world(engine, SIZES[args.size], progress=True)
        with Session(engine) as session:
            token = auth_service.create(session=session, workspace_id=ws, name="export",
                                        scope="read").secret  # fmt: skip
            platforms = session.scalars(
                text("SELECT DISTINCT platform FROM followers WHERE workspace_id = :ws ORDER BY 1"),
                {"ws": uuid.UUID(str(ws))},
            ).all()
            session.commit()
        print(
            f"{'export':<22} {'rows':>10} {'MB':>7} {'s':>7} {'rows/s':>8} "
            f"{'RSS before':>10} {'peak RSS':>9}"
        )
        chosen = platforms if args.each_platform else platforms[:1]
        for label, query in [*((p, f"&platform={p}") for p in chosen), ("every follower", "")]:
            rows, size, seconds, settled, peak = export(url, token, query)
            print(
                f"{label:<22} {rows:10,} {size / 2**20:7.1f} {seconds:7.1f} {rows / seconds:8,.0f} "
                f"{settled / 2**20:8.0f}MB {peak / 2**20:7.0f}MB",
                flush=True,
            )
        print("RSS: resident memory of the server's process tree (fanlens serve --workers 1)")
    finally:
        engine.dispose()
        if args.keep or args.database:
            print(f"\ndatabase kept: {url}")
        else:
            drop_db(admin, url)


if __name__ == "__main__":
    main()
