"""`fanlens serve --workers N`: N uvicorn processes, each listening on a socket of its own.

uvicorn's own workers share one listening socket, and whichever process wakes first accepts
every connection waiting: 8 keep-alive clients connecting at once (a load test, a reverse proxy's
connection pool) all landed on one process about half the time, which then served them on one
core while the other idled. Here every process binds the port with SO_REUSEPORT, and the kernel
spreads new connections over the sockets by a hash of their addresses.

The parent binds the port once without SO_REUSEPORT first, so a port already in use (another
`fanlens serve` included) fails at once instead of quietly sharing its traffic. It also runs
the one job worker (unless `--no-worker`), restarts any process that dies and stops them all on
SIGINT, SIGTERM or SIGHUP.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import threading
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import Any

from fanlens.config import settings
from fanlens.jobs import process as job_process
from fanlens.kit.errors import InvalidInput

log = logging.getLogger(__name__)
APP = "fanlens.server.app:create_app"
SUPPORTED = hasattr(socket, "SO_REUSEPORT")  # not on Windows: there uvicorn's workers serve


# What a terminal (Ctrl+C; SIGHUP when it closes) or a supervisor (systemd, Docker) sends to stop.
STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def exit_on_signals() -> None:
    """Leave through `finally` blocks and atexit on SIGINT, SIGTERM and SIGHUP, with status 0.

    Python's default action for SIGTERM and SIGHUP ends the process there and then: no atexit,
    so the embedded PostgreSQL (stopped by the last process using it, from atexit) kept running.
    uvicorn shuts down gracefully on SIGINT and SIGTERM and then raises the signal again, which
    lands here; SIGHUP, which uvicorn ignores, is turned into its SIGTERM."""

    def leave(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    def as_sigterm(signum: int, frame: FrameType | None) -> None:
        os.kill(os.getpid(), signal.SIGTERM)

    signal.signal(signal.SIGTERM, leave)
    signal.signal(signal.SIGINT, leave)
    if hasattr(signal, "SIGHUP"):  # not on Windows
        signal.signal(signal.SIGHUP, as_sigterm)


def proxy_options() -> dict[str, Any]:
    """uvicorn's forwarding-header options: off unless FANLENS_TRUSTED_PROXIES names proxies.

    uvicorn's own default believes X-Forwarded-For from 127.0.0.1, so anyone connecting from
    the host itself could pick the address the login limit counts."""
    trusted = settings.trusted_proxy_list()
    return {"proxy_headers": bool(trusted), "forwarded_allow_ips": trusted or ["127.0.0.1"]}


def serve(
    host: str,
    port: int,
    workers: int,
    app: str = APP,
    jobs_url: str | None = None,
    job_concurrency: int = 1,
) -> None:
    """Serve `app` (an import path to an app factory) with `workers` processes, and one job
    worker on the database at `jobs_url` when given."""
    family = check_port(host, port)
    context = multiprocessing.get_context("spawn")  # a clean interpreter: no inherited pools

    # The key as this process holds it (`--demo` keeps the demo's own key in memory only).
    key = settings.secret_key.get_secret_value() if settings.secret_key else None

    def start() -> BaseProcess:
        args = (family, host, port, app, key)
        process = context.Process(target=_worker, args=args, daemon=False)
        process.start()
        return process

    processes = [start() for _ in range(workers)]
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    for signum in STOP_SIGNALS:
        signal.signal(signum, on_signal)
    with job_process.running(jobs_url, job_concurrency):
        _supervise(processes, start, stop)


def _supervise(
    processes: list[BaseProcess], start: Callable[[], BaseProcess], stop: threading.Event
) -> None:
    """Restart a web process that dies until `stop` is set; then stop them all."""
    while not stop.wait(1.0):
        for i, process in enumerate(processes):
            if not process.is_alive():
                log.warning("worker %s exited with %s; starting another", process.pid,
                            process.exitcode)  # fmt: skip
                processes[i] = start()
    for process in processes:
        process.terminate()  # uvicorn finishes the requests in flight on SIGTERM
    for process in processes:
        process.join(timeout=30)


def check_port(host: str, port: int) -> socket.AddressFamily:
    """The address family to serve `host` on, once a probe could bind `host:port`; else a clear
    error naming the port and what to do."""
    family = _family(host, port)
    _check_free(family, host, port)
    return family


def _family(host: str, port: int) -> socket.AddressFamily:
    try:
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except socket.gaierror as exc:
        raise InvalidInput(f"cannot serve on {host}:{port}: {exc}") from exc


def _check_free(family: socket.AddressFamily, host: str, port: int) -> None:
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        if os.name != "nt":  # as uvicorn binds: a port whose last server just left is free
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise InvalidInput(
                f"cannot serve on {host}:{port}: {exc.strerror} (stop what is listening there, "
                "or pick another port with --port / FANLENS_PORT)"
            ) from exc


def _worker(
    family: socket.AddressFamily, host: str, port: int, app: str, secret_key: str | None
) -> None:
    import uvicorn
    from pydantic import SecretStr

    if secret_key is not None:
        settings.secret_key = SecretStr(secret_key)

    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    exit_on_signals()
    config = uvicorn.Config(app, factory=True, log_level="warning", **proxy_options())
    server(config).run(sockets=[sock])


def server(config: Any) -> Any:
    """A uvicorn server that ends the live streams (`GET live`) as soon as it is told to stop:
    uvicorn waits for every open response before it shuts down, and a stream never ends of
    itself."""
    import uvicorn

    from fanlens.interactions import live

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            live.close_all()
            super().handle_exit(sig, frame)

    return Server(config)
