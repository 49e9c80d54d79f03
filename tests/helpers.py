"""Helpers for tests that run fanlens as a user would: its command line (in this process, or
as a subprocess where the test is about the process), over a socket."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from typer.testing import CliRunner

from fanlens.cli import app
from fanlens.config import Settings, settings
from fanlens.db.engine import get_engine


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fanlens_env(
    database_url: str | None = None, data_dir: Path | None = None, **extra: str
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FANLENS_")}
    if database_url:
        env["FANLENS_DATABASE_URL"] = database_url
    if data_dir:
        env["FANLENS_DATA_DIR"] = str(data_dir)
    env.update(extra)
    return env


def interruptible() -> None:
    """A `preexec_fn`: the command gets SIGINT as a terminal's Ctrl+C gives it (its default
    action, not blocked), whatever an earlier test left in this worker process: a child keeps an
    ignored or blocked SIGINT, and Python then installs no KeyboardInterrupt handler."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_cli(
    *args: str, env: dict[str, str], input_text: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fanlens", *args],
        env=env,
        input=input_text,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def invoke_cli(
    *args: str, env: dict[str, str], input_text: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`fanlens ARGS` run in this process through Typer's CliRunner, with the settings that the
    environment `env` gives, answering what `run_cli` answers: the exit code, stdout and stderr
    (an unexpected exception's traceback included, as Python prints it)."""
    with _settings_from(env), _logging_of_a_new_process():
        try:
            result = CliRunner().invoke(app, list(args), input=input_text, prog_name="fanlens")
        finally:
            _close_engine()
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception))
    return subprocess.CompletedProcess(
        ["fanlens", *args], result.exit_code, stdout=result.stdout, stderr=stderr
    )


@contextmanager
def _settings_from(env: dict[str, str]) -> Iterator[None]:
    """The process's settings as a fanlens process started with `env` reads them."""
    names = {k for k in os.environ if k.startswith("FANLENS_")}
    names |= {k for k, v in env.items() if os.environ.get(k) != v}
    saved_env = {k: os.environ.get(k) for k in names}
    saved_settings = dict(settings.__dict__)
    try:
        for name in names:
            _set_env(name, env.get(name))
        settings.__dict__.update(Settings().__dict__)
        yield
    finally:
        settings.__dict__.update(saved_settings)
        for name, value in saved_env.items():
            _set_env(name, value)


@contextmanager
def _logging_of_a_new_process() -> Iterator[None]:
    """Logging as a new process starts it: no handler, so the command's own logging setup
    writes to the stderr CliRunner captures; the test's logging is restored afterwards."""
    root = logging.getLogger()
    handlers, levels = root.handlers[:], _logger_levels()
    root.handlers.clear()
    root.setLevel(logging.WARNING)
    try:
        yield
    finally:
        root.handlers[:] = handlers
        for name in _logger_levels().keys() - levels.keys():  # made by the command
            logging.getLogger(name).setLevel(logging.NOTSET)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def _logger_levels() -> dict[str | None, int]:
    named = logging.root.manager.loggerDict.items()
    levels: dict[str | None, int] = {
        name: logger.level for name, logger in named if isinstance(logger, logging.Logger)
    }
    levels[None] = logging.getLogger().level
    return levels


def _set_env(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


def _close_engine() -> None:
    """Close the pool of the command's database, so the test can drop that database."""
    if settings.database_url_or_none() is not None:
        get_engine().dispose()


def wait_for_http(url: str, timeout: float = 60) -> httpx.Response:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            return httpx.get(url, timeout=2)
        except httpx.HTTPError as exc:
            last = exc
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout}s: {last}")


def row_set(session: Any, sql: str, ws: object) -> set[tuple[Any, ...]]:
    """The rows of `sql`, with `:ws` bound to the workspace, as a set: a derived table and the
    GROUP BY over the log that it must equal compare as sets."""
    return {tuple(r) for r in session.execute(text(sql), {"ws": ws}).all()}
