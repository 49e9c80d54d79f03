"""The job worker that `fanlens serve` runs beside the web server, as one process of its own.

A process rather than a thread of the web server: with `--workers N` there are N web processes
but must be one job worker (each would otherwise also run the schedule's deferrer), and a job
that holds the GIL for a while (sentiment of a large import) must not slow requests down.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.process import BaseProcess

from fanlens.config import settings

log = logging.getLogger(__name__)
NAME = "serve"  # the worker's name in procrastinate_workers and the logs
STOP_TIMEOUT = 30.0  # seconds a running job gets to finish after SIGTERM before it is killed


def start(url: str, concurrency: int = 1) -> BaseProcess:
    """Start the job worker on the database at `url` (already resolved, so the child never
    starts an embedded server of its own), running up to `concurrency` jobs at once."""
    context = multiprocessing.get_context("spawn")  # a clean interpreter: no inherited pools
    # The key as this process holds it: `fanlens serve --demo` keeps the demo's own key in
    # memory only, and syncs of the demo's accounts need it to read their credentials.
    key = settings.secret_key.get_secret_value() if settings.secret_key else None
    process = context.Process(
        target=_run, args=(url, concurrency, key), name="fanlens-jobs", daemon=False
    )
    process.start()
    return process


def stop(process: BaseProcess, timeout: float = STOP_TIMEOUT) -> None:
    """SIGTERM (procrastinate then finishes the jobs in flight and exits), SIGKILL when it
    does not exit in `timeout` seconds; an interrupted job is retried by the next worker."""
    if process.is_alive():
        process.terminate()
    process.join(timeout=timeout)
    if process.is_alive():
        log.warning("job worker %s did not stop in %.0f s; killing it", process.pid, timeout)
        process.kill()
        process.join()


@contextmanager
def running(url: str | None, concurrency: int = 1) -> Iterator[None]:
    """Run the job worker while the block runs, starting another when it dies (not at all
    when `url` is None)."""
    if url is None:
        yield
        return
    keeper = _Keeper(url, concurrency)
    try:
        yield
    finally:
        keeper.stop()


class _Keeper:
    """Keeps one job worker alive from a thread of the server's process."""

    def __init__(self, url: str, concurrency: int) -> None:
        self.url, self.concurrency = url, concurrency
        self.process = start(url, concurrency)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._watch, name="fanlens-jobs-keeper", daemon=True)
        self.thread.start()

    def _watch(self) -> None:
        while not self.stopping.wait(1.0):
            if not self.process.is_alive():
                log.warning("job worker exited with %s; starting another", self.process.exitcode)
                self.process = start(self.url, self.concurrency)

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join()  # no restart can race the stop below
        stop(self.process)


def _run(url: str, concurrency: int, secret_key: str | None) -> None:
    from pydantic import SecretStr

    from fanlens.connectors import listen
    from fanlens.db.engine import engine_for
    from fanlens.interactions.upkeep import catch_up
    from fanlens.jobs.app import create_app, run_worker
    from fanlens.kit import logging as kit_logging

    kit_logging.setup(settings.log_level)
    if secret_key is not None:
        settings.secret_key = SecretStr(secret_key)
    if hasattr(os, "setpgrp"):
        # Out of the terminal's process group: Ctrl+C reaches the server only, which then
        # stops this worker once (procrastinate aborts running jobs on a second signal).
        os.setpgrp()
    threading.Thread(target=_stop_with_parent, args=(os.getppid(),), daemon=True).start()
    catch_up(engine=engine_for(url))  # what a bulk import cut short left waiting
    with listen.kept_open(engine_for(url)):
        run_worker(create_app(url), name=NAME, concurrency=concurrency)


def _stop_with_parent(parent: int) -> None:
    """A server killed outright (SIGKILL, a crash) cannot stop its worker: the worker notices
    that it has a new parent and stops itself."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os.kill(os.getpid(), signal.SIGTERM)
