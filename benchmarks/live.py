"""Live: from a Jetstream event sent to the API and the SSE stream showing it, at 50 events/s.

    .venv/bin/python -m benchmarks.live [--seconds 300] [--rate 50] [--no-cut]

Builds the demo world (`fanlens demo`, small) in a database of its own, then runs three
processes as a deployment does: the Bluesky simulator (`fanlens simulate bluesky`, its
Jetstream events kept in a file), `fanlens serve` (the API, and the job worker whose live
runner reads the stream) and this script, which

1. watches `GET /api/social-analytics/live` (SSE) and polls `GET .../activity` every
   `--poll` seconds (the API end; its latency includes up to one poll interval);
2. has the simulator stream fans' likes and comments (4 to 1) at `--rate` a second for
   `--seconds`, paced by the simulator itself (`"rate"` of its emit endpoint), each event's
   `createdAt` set to the millisecond it was sent, which is also the event's name here: the
   latency of each event is read where it shows up, minus that moment;
3. a third of the way through kills the simulator (SIGKILL) and starts it again on the same
   port, and times the reconnect: from the restart (and from the simulator answering again) to
   the first event sent after it that reaches the SSE stream;
4. waits for the stragglers, then counts at both ends against the simulator's file of every
   event sent: lost (never shown), duplicated (shown twice; in the database, two rows).

The baseline, measured in the same run before the load: the same path at 1 event a second.
CPU seconds of each process (this script, the server with its job worker, the simulator,
PostgreSQL) are printed for the loaded phase: on a 2-core machine this script must not be the
bottleneck.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psutil

API = "/api/social-analytics"
SEED = 7  # the demo's seed: the simulator serves the same world
CUT_RESTART_WAIT = 0.0  # seconds between the kill and the restart


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=300, help="loaded phase length")
    parser.add_argument("--rate", type=float, default=50.0, help="events a second")
    parser.add_argument("--baseline", type=int, default=10, help="events at 1 a second")
    parser.add_argument("--poll", type=float, default=0.2, help="API poll interval (s)")
    parser.add_argument("--size", choices=("tiny", "small"), default="small", help="demo world")
    parser.add_argument("--no-cut", action="store_true", help="do not kill the simulator")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="fl-live-"))
    os.environ.setdefault("FANLENS_BENCH_DIR", str(work / "pg"))
    bench = Bench(work, args)
    try:
        bench.run()
    finally:
        bench.close()


@dataclass
class Seen:
    """Where each event (named by its send time in ms) showed up, and when."""

    sse: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))
    api: dict[int, float] = field(default_factory=dict)
    api_ids: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))
    lock: threading.Lock = field(default_factory=threading.Lock)


class Bench:
    def __init__(self, work: Path, args: argparse.Namespace) -> None:
        self.work, self.args = work, args
        self.log = work / "jetstream.jsonl"
        self.world = work / "bluesky-world.json"
        self.first = 0  # the first event shown: those before it are not counted
        self.seen = Seen()
        self.sent: dict[int, float] = {}  # the events the emitter was told were sent
        self.sent_lock = threading.Lock()
        self.stop = threading.Event()
        self.sim: subprocess.Popen[bytes] | None = None
        self.server: subprocess.Popen[bytes] | None = None
        self.sim_port, self.port = _free_port(), _free_port()
        self.sim_root = f"http://127.0.0.1:{self.sim_port}"
        self.base = f"http://127.0.0.1:{self.port}"

    # -- setup ---------------------------------------------------------------------------------
    def run(self) -> None:
        from benchmarks._db import fresh_database

        url = fresh_database("live")
        token, posts, users = self.demo(url)
        self.headers = {"Authorization": f"Bearer {token}"}
        self.posts, self.users = posts, users
        self.start_simulator()
        self.start_server(url)
        self.started_at = time.time()
        threads = [
            threading.Thread(target=self.watch_sse, daemon=True),
            threading.Thread(target=self.poll_api, daemon=True),
        ]
        for thread in threads:
            thread.start()
        self.warm_up()
        baseline = self.phase_at_one_a_second()
        loaded, cut, cpu = self.loaded_phase()
        self.settle()
        self.stop.set()
        self.report(url, baseline, loaded, cut, cpu)

    def demo(self, url: str) -> tuple[str, list[str], list[str]]:
        from pydantic import SecretStr
        from rich.console import Console
        from sqlalchemy import create_engine

        from fanlens.config import settings
        from fanlens.db.queue import ensure_schema
        from fanlens.demo import service as demo
        from fanlens.simulators.run import split_world

        settings.database_url = SecretStr(url)
        settings.data_dir = self.work
        os.environ["FANLENS_DATABASE_URL"] = url
        ensure_schema()
        engine = create_engine(url)
        started = time.perf_counter()
        login = demo.run(engine=engine, console=Console(quiet=True), size=self.args.size, seed=SEED)
        engine.dispose()
        assert login is not None, "the benchmark's database is new: the demo must be built"
        print(f"demo world ({self.args.size}) built in {time.perf_counter() - started:.0f} s")
        self.secret = settings.secret_key.get_secret_value() if settings.secret_key else ""
        world = split_world(self.args.size, SEED)["bluesky"]  # the demo's, but for its times
        self.world.write_text(json.dumps(world), encoding="utf-8")
        posts = sorted({r["external_post_id"] for r in world if r["type"] == "post"})
        users = sorted({r["user"]["external_user_id"] for r in world if "user" in r})
        return login.token, posts, users

    def start_simulator(self) -> float:
        """Start the simulator (again, after a kill); returns when it answers."""
        # What `fanlens simulate bluesky --jetstream-log FILE` runs, without importing the
        # whole CLI or generating the world again (tens of seconds on a loaded machine: the
        # platform's own restart, not fanlens's reconnect).
        code = (
            "import json, sys; from fanlens.simulators.run import serve; "
            "serve('bluesky', json.load(open(sys.argv[1])), '127.0.0.1', int(sys.argv[2]), "
            "jetstream_log=sys.argv[3])"
        )
        command = [sys.executable, "-c", code, str(self.world), str(self.sim_port),
                   str(self.log)]  # fmt: skip
        out = open(self.work / "simulator.log", "ab")  # noqa: SIM115 (held by the child)
        self.sim = subprocess.Popen(command, stdout=out, stderr=out)
        _wait(self.sim_root + "/_sim/state", "the simulator", poll=0.01)
        return time.time()

    def start_server(self, url: str) -> None:
        env = {
            **os.environ,
            "FANLENS_DATABASE_URL": url,
            "FANLENS_DATA_DIR": str(self.work),
            "FANLENS_SECRET_KEY": self.secret,
            "FANLENS_BLUESKY_STREAM_URL": f"ws://127.0.0.1:{self.sim_port}/subscribe",
            "FANLENS_BLUESKY_BASE_URL": f"{self.sim_root}/xrpc",
            "FANLENS_LOG_LEVEL": "WARNING",
        }
        command = [sys.executable, "-m", "fanlens", "serve", "--no-migrate",
                   "--host", "127.0.0.1", "--port", str(self.port)]  # fmt: skip
        out = open(self.work / "server.log", "ab")  # noqa: SIM115 (held by the child)
        self.server = subprocess.Popen(command, env=env, stdout=out, stderr=out)
        _wait(self.base + "/healthz", "the server")

    def close(self) -> None:
        self.stop.set()
        for process in (self.server, self.sim):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=40)
                except subprocess.TimeoutExpired:
                    process.kill()
        print(f"logs and the event file: {self.work}")

    # -- the two ends --------------------------------------------------------------------------
    def watch_sse(self) -> None:
        """Read the SSE stream for the whole run (reconnecting if it ends)."""
        while not self.stop.is_set():
            try:
                with httpx.stream(
                    "GET", self.base + API + "/live", headers=self.headers, timeout=None
                ) as response:
                    response.raise_for_status()
                    kind = ""
                    for line in response.iter_lines():
                        if line.startswith("event: "):
                            kind = line[7:]
                        elif line.startswith("data: ") and kind == "interaction":
                            at = time.time()
                            key = _key(json.loads(line[6:])["occurred_at"])
                            with self.seen.lock:
                                self.seen.sse[key].append(at)
                        elif line.startswith("data: ") and kind in ("many", "gap"):
                            print(f"SSE: a {kind!r} event: {line}")
                        if self.stop.is_set():
                            return
            except httpx.HTTPError as exc:
                print(f"SSE: {exc}; reconnecting")
                time.sleep(0.5)

    def poll_api(self) -> None:
        """Read new bench events from GET activity, oldest first, from the oldest one sent
        and not yet shown."""
        client = httpx.Client(base_url=self.base, headers=self.headers, timeout=30)
        newest = int(self.started_at * 1000)
        while not self.stop.is_set():
            with self.sent_lock:  # (events sent before the stream was first read never show)
                pending = [k for k in self.sent if k >= self.first and k not in self.seen.api]
            since = min(pending) if pending else newest
            cursor = None
            while True:
                params: dict[str, Any] = {"platform": "bluesky", "order": "asc", "limit": 200,
                                          "since": _iso(since)}  # fmt: skip
                if cursor:
                    params["cursor"] = cursor
                try:
                    page = client.get(API + "/activity", params=params).json()
                except (httpx.HTTPError, ValueError) as exc:
                    if not self.stop.is_set():
                        print(f"API: {exc}")
                    break
                at = time.time()
                with self.seen.lock:
                    for item in page["items"]:
                        key = _key(item["occurred_at"])
                        self.seen.api.setdefault(key, at)
                        self.seen.api_ids[key].add(item["id"])
                        newest = max(newest, key)
                cursor = page.get("next_cursor")
                if not cursor:
                    break
            self.stop.wait(self.args.poll)

    # -- the load ------------------------------------------------------------------------------
    def emit(self, count: int, rate: float, rng: random.Random) -> bool:
        """Have the simulator send `count` events at `rate` a second; False when it is down."""
        records = [self._record(rng) for _ in range(count)]
        try:
            response = httpx.post(
                self.sim_root + "/_sim/jetstream/emit",
                json={"records": records, "rate": rate},
                timeout=count / rate + 30,
            )
            response.raise_for_status()
        except httpx.HTTPError:
            return False
        now = time.time()
        with self.sent_lock:
            for event in response.json()["events"]:
                self.sent[_key(event["commit"]["record"]["createdAt"])] = now
        return True

    def _record(self, rng: random.Random) -> dict[str, Any]:
        number = rng.randrange(10**12)
        record: dict[str, Any] = {
            "type": "interaction",
            "platform": "bluesky",
            "interaction_type": "comment" if number % 5 == 0 else "like",
            "user": {"external_user_id": rng.choice(self.users)},
            "external_post_id": rng.choice(self.posts),
        }
        if record["interaction_type"] == "comment":
            record |= {"external_id": f"bench-{number}", "text": "Great one, thanks!"}
        return record

    def warm_up(self) -> None:
        """Until the live runner is connected: one event every 2 s until one shows."""
        rng = random.Random(1)
        deadline = time.time() + 180
        while time.time() < deadline:
            self.emit(1, 1.0, rng)
            time.sleep(2)
            with self.seen.lock:
                if self.seen.sse:
                    # A stream read for the first time starts from now: what was sent before
                    # is not counted.
                    self.first = min(self.seen.sse)
                    print(f"live runner connected after {time.time() - self.started_at:.1f} s")
                    return
        raise TimeoutError("no event reached the SSE stream in 180 s (see server.log)")

    def phase_at_one_a_second(self) -> list[int]:
        start = len(self.sent)
        self.emit(self.args.baseline, 1.0, random.Random(2))
        with self.sent_lock:
            return list(self.sent)[start:]

    def loaded_phase(self) -> tuple[list[int], dict[str, float], dict[str, float]]:
        """`rate` a second for `seconds`: two requests in flight keep the simulator's one
        schedule busy; the simulator is killed and started again a third of the way."""
        before = len(self.sent)
        end = time.time() + self.args.seconds
        cpu_start = self.cpu()

        def emitter(seed: int) -> None:
            rng = random.Random(seed)
            while time.time() < end:
                count = max(1, min(int(self.args.rate), int((end - time.time()) * self.args.rate)))
                if not self.emit(count, self.args.rate, rng):
                    time.sleep(0.1)  # the simulator is down: try again

        threads = [threading.Thread(target=emitter, args=(s,), daemon=True) for s in (3, 4)]
        for thread in threads:
            thread.start()
        cut: dict[str, float] = {}
        if not self.args.no_cut:
            time.sleep(self.args.seconds / 3)
            cut = self.cut()
        for thread in threads:
            thread.join()
        cpu = {name: self.cpu()[name] - cpu_start[name] for name in cpu_start}
        cpu["wall"] = self.args.seconds
        with self.sent_lock:
            return list(self.sent)[before:], cut, cpu

    def cut(self) -> dict[str, float]:
        assert self.sim is not None
        killed = time.time()
        self.sim.send_signal(signal.SIGKILL)
        self.sim.wait()
        time.sleep(CUT_RESTART_WAIT)
        restarted = time.time()
        ready = self.start_simulator()
        return {"killed": killed, "restarted": restarted, "ready": ready}

    def settle(self, seconds: float = 60) -> None:
        """Wait until every event in the simulator's file showed at both ends (or `seconds`)."""
        deadline = time.time() + seconds
        while time.time() < deadline:
            emitted = [k for k in _emitted(self.log) if k >= self.first]
            with self.seen.lock:
                if all(k in self.seen.sse and k in self.seen.api for k in emitted):
                    break
            time.sleep(0.5)
        time.sleep(2 * self.args.poll + 1)  # a duplicate would show by now

    # -- measuring -----------------------------------------------------------------------------
    def cpu(self) -> dict[str, float]:
        return {
            "this script": _cpu(psutil.Process()),
            "server + job worker": _cpu_tree(self.server),
            "simulator": _cpu_tree(self.sim),
            "PostgreSQL": _postgres_cpu(),
        }

    def report(
        self,
        url: str,
        baseline: list[int],
        loaded: list[int],
        cut: dict[str, float],
        cpu: dict[str, float],
    ) -> None:
        emitted = [k for k in _emitted(self.log) if k >= self.first]
        stored = _stored(url, int(self.started_at * 1000))
        seen = self.seen
        print()
        down = cut["ready"] - cut["killed"] if cut else 0.0
        print(f"{len(loaded):,} events in {self.args.seconds} s, the simulator down {down:.1f} s "
              f"of them ({len(loaded) / (self.args.seconds - down):.1f}/s while up, "
              f"asked {self.args.rate:g}/s), "
              f"{len(baseline)} at 1/s before; API polled every {self.args.poll:g} s")  # fmt: skip
        print(f"{'latency (ms)':<24} {'n':>6} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7}")
        rows = {
            "SSE, 1/s (baseline)": [seen.sse[k][0] - k / 1000 for k in baseline if k in seen.sse],
            "API, 1/s (baseline)": [seen.api[k] - k / 1000 for k in baseline if k in seen.api],
            f"SSE, {self.args.rate:g}/s": [seen.sse[k][0] - k / 1000 for k in loaded
                                         if k in seen.sse],
            f"API, {self.args.rate:g}/s": [seen.api[k] - k / 1000 for k in loaded
                                         if k in seen.api],
        }  # fmt: skip
        quantiles = {}
        for name, values in rows.items():
            q = _quantiles(values)
            quantiles[name] = q
            print(f"{name:<24} {len(values):>6} " + " ".join(f"{v * 1000:>7.0f}" for v in q))
        for end in ("SSE", "API"):
            base_p50 = quantiles[f"{end}, 1/s (baseline)"][0]
            load_p50 = quantiles[f"{end}, {self.args.rate:g}/s"][0]
            print(f"{end} p50 at {self.args.rate:g}/s / p50 at 1/s: {load_p50 / base_p50:.2f} ×")
        print()
        sse_dup = sum(1 for k in emitted if len(seen.sse.get(k, [])) > 1)
        api_dup = sum(1 for k in emitted if len(seen.api_ids.get(k, ())) > 1)
        db_dup = sum(1 for k in emitted if stored.get(k, 0) > 1)
        print(f"emitted (the simulator's file, from the first event shown on): {len(emitted):,}")
        print(f"{'':<10} {'shown':>8} {'lost':>6} {'duplicated':>11}")
        for name, shown, dup in (
            ("SSE", {k for k in emitted if k in seen.sse}, sse_dup),
            ("API", {k for k in emitted if k in seen.api}, api_dup),
            ("database", {k for k in emitted if k in stored}, db_dup),
        ):
            print(f"{name:<10} {len(shown):>8,} {len(emitted) - len(shown):>6} {dup:>11}")
        lost = [k for k in emitted if k not in seen.sse or k not in stored]
        if lost:
            origin = cut["killed"] if cut else self.started_at
            print("lost, sent at (s after the " + ("kill" if cut else "start") + "): "
                  + ", ".join(f"{k / 1000 - origin:+.2f}" for k in lost[:10]))  # fmt: skip
        extra = sorted(set(stored) - set(_emitted(self.log)))
        if extra:
            print(f"database rows of no emitted event: {len(extra)}")
        if cut:
            # The first event sent after the restart to show: it came over the new connection.
            after = [
                seen.sse[k][0] for k in emitted if k / 1000 > cut["restarted"] and k in seen.sse
            ]
            first = min(after, default=float("nan"))
            print()
            killed, restarted, ready = cut["killed"], cut["restarted"], cut["ready"]
            print(f"cut: simulator killed at +{killed - self.started_at:.1f} s, "
                  f"restarted {restarted - killed:.1f} s later, "
                  f"answering {ready - restarted:.1f} s after the restart")  # fmt: skip
            print(f"reconnect: the first event sent after the restart shown "
                  f"{first - cut['restarted']:.1f} s after the restart "
                  f"({first - cut['ready']:.1f} s after the simulator answered)")  # fmt: skip
            for gap in _gaps(url):
                print(f"live_gaps: {gap}")
        print()
        wall = cpu.pop("wall")
        print(f"CPU during the {wall:g} s loaded phase (2 cores = {2 * wall:g} CPU-s):")
        for name, seconds in cpu.items():
            print(f"  {name:<22} {seconds:7.1f} CPU-s  ({100 * seconds / wall:5.1f} % of a core)")


# -- helpers -------------------------------------------------------------------------------------
def _key(occurred_at: str) -> int:
    """An event's name: its send time in unix milliseconds."""
    moment = datetime.fromisoformat(occurred_at.replace("Z", "+00:00"))
    return round(moment.timestamp() * 1000)


def _iso(key: int) -> str:
    return datetime.fromtimestamp(key / 1000, UTC).isoformat(timespec="milliseconds")


def _emitted(log: Path) -> list[int]:
    from fanlens.simulators.jetstream import read_log

    return sorted({_key(e["commit"]["record"]["createdAt"]) for e in read_log(log)})


def _stored(url: str, since_ms: int) -> dict[int, int]:
    """Rows per event in the interaction log (Bluesky, since the run began)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT occurred_at, count(*) FROM follower_interactions "
                "WHERE platform = 'bluesky' AND occurred_at >= to_timestamp(:since / 1000.0) "
                "GROUP BY 1"
            ),
            {"since": since_ms},
        ).all()
    engine.dispose()
    return {round(at.timestamp() * 1000): n for at, n in rows}


def _gaps(url: str) -> list[str]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT started_at, ended_at, error FROM live_gaps ORDER BY started_at")
        ).all()
    engine.dispose()
    return [
        f"{(end - start).total_seconds():.1f} s without the stream ({error[:60]})"
        if end
        else f"open since {start:%H:%M:%S} ({error[:60]})"
        for start, end, error in rows
    ]


def _quantiles(values: list[float]) -> tuple[float, float, float, float]:
    if len(values) < 2:
        one = values[0] if values else float("nan")
        return one, one, one, one
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98], max(values)


def _cpu(process: psutil.Process) -> float:
    try:
        times = process.cpu_times()
    except psutil.Error:
        return 0.0
    return times.user + times.system + times.children_user + times.children_system


def _cpu_tree(popen: subprocess.Popen[bytes] | None) -> float:
    """CPU of a process and its descendants (the job worker leaves the server's group but not
    its family)."""
    if popen is None:
        return 0.0
    try:
        root = psutil.Process(popen.pid)
        family = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0.0
    return sum(_cpu(p) for p in family)


def _postgres_cpu() -> float:
    """The embedded server's postmaster (its reaped backends included) and live backends."""
    data_dir = os.environ.get("FANLENS_BENCH_DIR", "")
    for process in psutil.process_iter(["name", "cmdline"]):
        cmdline = process.info.get("cmdline") or []
        if process.info.get("name") == "postgres" and data_dir and data_dir in " ".join(cmdline):
            return sum(_cpu(p) for p in [process, *process.children()])
    return float("nan")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(url: str, what: str, seconds: float = 120, poll: float = 0.05) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(poll)
    raise TimeoutError(f"{what} did not start in {seconds:.0f} s")


if __name__ == "__main__":
    main()
