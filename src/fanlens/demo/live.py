"""The demo, live: while `fanlens serve --demo` runs, its Bluesky simulator stays up and fans
keep liking, reposting, commenting and following, streamed over its Jetstream endpoint.

The job worker `serve` starts (a process of its own) reads the stream and AppView URLs from the
environment, so they are set there before it starts.
"""

from __future__ import annotations

import itertools
import logging
import os
import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import httpx

from fanlens.config import settings
from fanlens.simulators.run import RunningSimulator, split_world, start_simulator

log = logging.getLogger(__name__)
INTERVAL = 3.0  # seconds between two demo events
KINDS = ("like", "like", "like", "repost", "comment", "follow")
COMMENTS = (
    "This is exactly what I needed today!",
    "Trying this tomorrow morning.",
    "Love the new setup.",
    "Which grinder is that?",
    "Saved for later, thanks!",
)


@contextmanager
def trickle(size: str, seed: int = 7, interval: float = INTERVAL) -> Iterator[RunningSimulator]:
    """Serve the demo's Bluesky simulator and stream a new fan action every `interval` s."""
    records = split_world(size, seed, anchor=datetime.now(UTC).replace(microsecond=0))
    sim = start_simulator("bluesky", records.get("bluesky", []))
    roots = {
        "bluesky_stream_url": sim.stream_url,
        "bluesky_base_url": sim.base_url,
        "bluesky_plc_url": sim.root_url,  # fans' DID documents, naming the simulator their PDS
    }
    for name, value in roots.items():
        setattr(settings, name, value)
        os.environ[f"FANLENS_{name.upper()}"] = value
    stop = threading.Event()
    thread = threading.Thread(
        target=_emit_until, args=(sim, stop, interval, seed), name="demo-live", daemon=True
    )
    thread.start()
    try:
        yield sim
    finally:
        stop.set()
        thread.join(timeout=10)
        sim.stop()


def _emit_until(sim: RunningSimulator, stop: threading.Event, interval: float, seed: int) -> None:
    world = sim.simulator.world
    posts, users = sorted(world.posts), sorted(world.users)
    if not posts or not users:
        return
    pick = random.Random(seed)  # demo data, not security
    for number in itertools.count(1):
        if stop.wait(interval):
            return
        try:
            sim.emit([_action(pick, number, pick.choice(posts), pick.choice(users))])
        except httpx.HTTPError as exc:  # the simulator stopping under us
            log.warning("demo: a live event was not sent: %s", exc)


def _action(pick: random.Random, number: int, post: str, user: str) -> dict[str, Any]:
    kind = pick.choice(KINDS)
    now = datetime.now(UTC)
    record: dict[str, Any] = {
        "type": "interaction",
        "platform": "bluesky",
        "interaction_type": kind,
        "user": {"external_user_id": user},
        "occurred_at": now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }
    if kind != "follow":
        record["external_post_id"] = post
    if kind == "comment":
        record["external_id"] = f"live-{now:%Y%m%d%H%M%S}-{number}"
        record["text"] = pick.choice(COMMENTS)
    return record
