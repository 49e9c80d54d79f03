"""A supervisor's signal stops `fanlens serve`, and with it the embedded PostgreSQL it started."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from tests.helpers import fanlens_env, free_port, wait_for_http

pytestmark = [
    pytest.mark.slow,
    pytest.mark.xdist_group(name="own-server"),  # each test starts an embedded server of its own
    pytest.mark.skipif(
        bool(os.environ.get("FANLENS_TEST_DATABASE_URL")), reason="the embedded server only"
    ),
]


def _postgres_serving(pgdata: Path) -> list[psutil.Process]:
    """The postgres processes whose command line names this data folder (none other)."""
    found = []
    for process in psutil.process_iter(attrs=["name", "cmdline"]):
        cmdline = process.info["cmdline"] or []
        if process.info["name"] == "postgres" and str(pgdata) in cmdline:
            found.append(process)
    return found


@pytest.mark.parametrize(
    ("signum", "workers"),
    [
        (signal.SIGTERM, 1),
        (signal.SIGINT, 1),
        (signal.SIGHUP, 1),
        # --workers 2: the parent on SIGHUP, its web processes on the SIGTERM it sends them.
        (signal.SIGHUP, 2),
    ],
    ids=["SIGTERM", "SIGINT", "SIGHUP", "SIGHUP-workers"],
)
def test_a_signal_to_serve_stops_the_embedded_server(
    tmp_path: Path, signum: signal.Signals, workers: int
) -> None:
    data_dir = tmp_path / "data"
    pgdata = (data_dir / "pgdata").resolve()
    port = free_port()
    command = [sys.executable, "-m", "fanlens", "serve", "--port", str(port)]
    command += ["--workers", str(workers)]
    log = tmp_path / "serve.log"  # a file, not a pipe: processes left behind would hold it open
    with log.open("w") as output:
        server = subprocess.Popen(
            command, env=fanlens_env(data_dir=data_dir), stdout=output, stderr=output
        )
    started: list[psutil.Process] = []
    try:
        assert wait_for_http(f"http://127.0.0.1:{port}/healthz").status_code == 200
        assert _postgres_serving(pgdata), "the embedded server runs while fanlens serves"
        started = psutil.Process(server.pid).children(recursive=True)
        server.send_signal(signum)
        server.wait(timeout=60)
        left = _postgres_serving(pgdata)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        # Only what this test started: serve's own children and the server of its folder.
        for process in [*started, *_postgres_serving(pgdata)]:
            if process.is_running():
                process.kill()
    assert server.returncode == 0, log.read_text()
    assert left == []


def test_a_process_killed_outright_does_not_keep_the_server_running(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    pgdata = (data_dir / "pgdata").resolve()
    join = "from pathlib import Path; from fanlens.db import embedded; "
    join += f"embedded.ensure_server(Path({str(data_dir)!r}))"
    killed = subprocess.run(
        [sys.executable, "-c", join + "; import os, signal; os.kill(os.getpid(), signal.SIGKILL)"],
        env=fanlens_env(),
        check=False,
    )
    try:
        assert killed.returncode == -signal.SIGKILL
        assert _postgres_serving(pgdata), "the killed process left the server running"
        # The next process to use the folder leaves normally, as the last living user.
        subprocess.run([sys.executable, "-c", join], env=fanlens_env(), check=True)
        left = _postgres_serving(pgdata)
    finally:
        for process in _postgres_serving(pgdata):  # ours alone: its folder is this test's
            process.kill()
    assert left == []
