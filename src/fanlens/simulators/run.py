"""Serve a simulator: in a background thread for tests, or in the foreground for the CLI."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import uvicorn

from fanlens.simulators.base import Simulator
from fanlens.simulators.bluesky import BlueskySimulator
from fanlens.simulators.instagram import InstagramSimulator
from fanlens.simulators.mastodon import MastodonSimulator
from fanlens.simulators.tiktok import TikTokSimulator
from fanlens.simulators.youtube import YouTubeSimulator

SIMULATORS: dict[str, type[Simulator]] = {
    "youtube": YouTubeSimulator,
    "bluesky": BlueskySimulator,
    "mastodon": MastodonSimulator,
    "instagram": InstagramSimulator,
    "tiktok": TikTokSimulator,
}


EMIT_PATHS = {"bluesky": "/_sim/jetstream/emit", "mastodon": "/_sim/mastodon/emit"}


def create_simulator(
    platform: str, records: Iterable[dict[str, Any]] = (), **options: Any
) -> Simulator:
    if platform not in SIMULATORS:
        raise ValueError(f"no simulator for {platform!r}; choose one of {', '.join(SIMULATORS)}")
    return SIMULATORS[platform](records, **options)


def world_records(
    size: str, seed: int, platform: str, *, anchor: datetime | None = None
) -> list[dict[str, Any]]:
    return split_world(size, seed, anchor=anchor).get(platform, [])


def split_world(
    size: str, seed: int, *, anchor: datetime | None = None
) -> dict[str, list[dict[str, Any]]]:
    """A world's records by platform (`anchor`: when the world ends; a fixed day by default)."""
    from fanlens.demo.generate import generate_world

    by_platform: dict[str, list[dict[str, Any]]] = {}
    for record in generate_world(size, seed, anchor=anchor).records():
        by_platform.setdefault(record.get("platform", ""), []).append(record)
    return by_platform


def base_url_for(platform: str, root: str) -> str:
    """What a connector is configured with: the API base, as the official one would be."""
    prefix = {"youtube": "/youtube/v3", "bluesky": "/xrpc", "mastodon": "", "instagram": ""}
    return root + prefix.get(platform, "")


@dataclass
class RunningSimulator:
    platform: str
    root_url: str  # http://127.0.0.1:PORT, where /_sim/ lives
    base_url: str  # the API base a connector uses
    simulator: Simulator
    server: uvicorn.Server
    thread: threading.Thread

    def add_records(self, records: Iterable[dict[str, Any]]) -> int:
        return self.simulator.world.add(records)

    def set_faults(self, **faults: Any) -> dict[str, Any]:
        response = httpx.post(f"{self.root_url}/_sim/faults", json=faults, timeout=10)
        response.raise_for_status()
        return dict(response.json())

    def clear_faults(self) -> None:
        httpx.delete(f"{self.root_url}/_sim/faults", timeout=10).raise_for_status()

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def restart(self) -> RunningSimulator:
        """Serve the same simulator (its world and event log) on the same port again, as a
        platform coming back after an outage."""
        host, port = self.root_url.removeprefix("http://").rsplit(":", 1)
        return serve_in_thread(self.platform, self.simulator, host, int(port))

    def emit(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Stream interactions as live events (Bluesky: Jetstream commits; Mastodon:
        notifications); returns them."""
        return self.emit_body({"records": records})

    def emit_body(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        """POST a body to the simulator's emit endpoint; returns the events it streamed."""
        path = EMIT_PATHS.get(self.platform, "/_sim/jetstream/emit")
        response = httpx.post(f"{self.root_url}{path}", json=body, timeout=10)
        response.raise_for_status()
        return list(response.json()["events"])

    def delete(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Delete interactions from the world and stream their deletes; returns the events."""
        response = httpx.post(f"{self.root_url}/_sim/jetstream/emit", json={"deletes": records})
        response.raise_for_status()
        return list(response.json()["events"])

    @property
    def stream_url(self) -> str:
        return self.root_url.replace("http://", "ws://") + "/subscribe"

    @property
    def firehose_url(self) -> str:
        return self.root_url.replace("http://", "ws://") + "/xrpc/com.atproto.sync.subscribeRepos"

    def __enter__(self) -> RunningSimulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_simulator(
    platform: str,
    records: Iterable[dict[str, Any]] = (),
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    **options: Any,
) -> RunningSimulator:
    """Serve a simulator on a free port in a background thread; returns once it answers."""
    return serve_in_thread(platform, create_simulator(platform, records, **options), host, port)


def serve_in_thread(platform: str, simulator: Simulator, host: str, port: int) -> RunningSimulator:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound_port = sock.getsockname()[1]
    config = uvicorn.Config(simulator.app(), log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"the {platform} simulator did not start")
        time.sleep(0.01)
    root = f"http://{host}:{bound_port}"
    return RunningSimulator(platform, root, base_url_for(platform, root), simulator, server, thread)


def serve(
    platform: str, records: Iterable[dict[str, Any]], host: str, port: int, **options: Any
) -> None:
    """Serve in the foreground until interrupted (the `fanlens simulate` command)."""
    simulator = create_simulator(platform, records, **options)
    uvicorn.run(simulator.app(), host=host, port=port, log_level="warning")
