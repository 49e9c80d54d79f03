"""Reads on a real streaming replica, writes on the primary, and read-your-writes.

The test starts a primary of its own (initdb from pgserver's binaries: the tests' shared server
may be a PostgreSQL of another version, which pgserver's `postgres` could not run a copy of),
migrates it, and clones it with `pg_basebackup -R -X stream` into a hot standby on a second
socket. Pausing the standby's replay (`pg_wal_replay_pause()`) makes a row committed on the
primary visible only there: a request that does not see it read from the replica.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from fanlens.auth import service as auth_service
from fanlens.config import settings
from fanlens.db import migrate
from fanlens.server.app import create_app
from fanlens.users import service as users
from tests.fixtures.builders import create_content, create_workspace
from tests.helpers import fanlens_env, free_port, wait_for_http

# One worker runs the module: it starts a primary and a replica of its own.
pytestmark = pytest.mark.xdist_group(name="read-replica")

API = "/api/social-analytics"
PASSWORD = "correct horse battery"
PRIMARY_ONLY = "Written while the replica replays nothing"


def _bin() -> Path:
    import pgserver  # the tests' PostgreSQL binaries

    return Path(pgserver.__file__).parent / "pginstall" / "bin"


def _system_user() -> str | None:
    """PostgreSQL refuses to run as root: pgserver's own user runs it then."""
    return "pgserver" if os.geteuid() == 0 else None


def _run(*args: str) -> None:
    subprocess.run([str(_bin() / args[0]), *args[1:]], check=True, user=_system_user(),
                   capture_output=True, timeout=60)  # fmt: skip


@dataclass
class Cluster:
    folder: Path
    primary: Engine
    replica: Engine
    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, Any] = field(default_factory=dict)

    def start_replica(self) -> None:
        _start(self.folder / "replica", self.folder / "r")

    def stop_replica(self) -> None:
        _run("pg_ctl", "-D", str(self.folder / "replica"), "-m", "fast", "-w", "stop")
        self.replica.dispose()

    def primary_lsn(self) -> str:
        with self.primary.connect() as conn:
            return str(conn.execute(text("SELECT pg_current_wal_lsn()")).scalar())

    def replica_reached(self, lsn: str, what: str) -> bool:
        sql = f"SELECT {what}() >= CAST(:lsn AS pg_lsn)"
        with self.replica.connect() as conn:
            return bool(conn.execute(text(sql), {"lsn": lsn}).scalar())

    def wait_for_replica(self, what: str = "pg_last_wal_replay_lsn") -> None:
        """Until the replica has received (or replayed) all the primary wrote so far."""
        lsn = self.primary_lsn()
        deadline = time.monotonic() + 30
        while not self.replica_reached(lsn, what):
            assert time.monotonic() < deadline, f"the replica never reached {lsn} ({what})"
            time.sleep(0.05)

    def pause_replay(self) -> None:
        # A commit replayed just before the pause: its time is what the replica's lag is
        # measured from (and none replayed since the standby started reads as unknown lag).
        with Session(self.primary) as session:
            session.execute(text("UPDATE workspaces SET name = name"))
            session.commit()
        self.wait_for_replica()
        with self.replica.connect() as conn:
            conn.execute(text("SELECT pg_wal_replay_pause()"))
            deadline = time.monotonic() + 30
            while conn.execute(text("SELECT pg_get_wal_replay_pause_state()")).scalar() != "paused":
                assert time.monotonic() < deadline, "the replica's replay never paused"
                time.sleep(0.05)

    def resume_replay(self) -> None:
        with self.replica.connect() as conn:
            conn.execute(text("SELECT pg_wal_replay_resume()"))


def _start(pgdata: Path, sockets: Path) -> None:
    sockets.mkdir(exist_ok=True)
    _chown(sockets)
    options = f"-h '' -k {sockets} -c fsync=off"  # a throwaway cluster: no flushes to disk
    _run("pg_ctl", "-D", str(pgdata), "-w", "-l", str(pgdata.parent / f"{pgdata.name}.log"),
         "-o", options, "start")  # fmt: skip


def _chown(path: Path) -> None:
    user = _system_user()
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(path, entry.pw_uid, entry.pw_gid)


def _url(sockets: Path, database: str = "fanlens") -> str:
    return f"postgresql+psycopg://postgres@/{database}?host={sockets}"


def _build_world(engine: Engine, cluster: Cluster) -> None:
    with Session(engine) as session:
        ws = create_workspace(session, "replicated")
        cluster.ids["ws"] = ws.id
        for name, scope in (("writer", "write"), ("other", "write"), ("reader", "read")):
            issued = auth_service.create(
                session=session, workspace_id=ws.id, name=name, scope=scope
            )
            cluster.tokens[name] = issued.secret
        users.create(session=session, workspace_id=ws.id, username="amy", password=PASSWORD)
        create_content(session, ws, slug="replicated", title="On both servers")
        session.commit()


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    folder = Path(tempfile.mkdtemp(prefix="fanlens-replica-"))  # short: socket paths are short
    folder.chmod(0o755)
    _chown(folder)
    primary_data, primary_sockets = folder / "primary", folder / "p"
    _run("initdb", "-D", str(primary_data), "--auth=trust", "-U", "postgres", "--encoding=utf8",
         "--no-sync")  # fmt: skip
    _start(primary_data, primary_sockets)
    replica_started = False
    try:
        admin = create_engine(_url(primary_sockets, "postgres"), isolation_level="AUTOCOMMIT",
                              poolclass=NullPool)  # fmt: skip
        with admin.connect() as conn:
            conn.execute(text("CREATE DATABASE fanlens"))
        primary = create_engine(_url(primary_sockets))
        migrate.upgrade(primary)
        cluster = Cluster(folder, primary, create_engine(_url(folder / "r")))
        _build_world(primary, cluster)
        _run("pg_basebackup", "-D", str(folder / "replica"), "-R", "-X", "stream", "-c", "fast",
             "-h", str(primary_sockets), "-U", "postgres")  # fmt: skip
        cluster.start_replica()
        replica_started = True
        yield cluster
    finally:
        if replica_started and (folder / "replica" / "postmaster.pid").exists():
            _run("pg_ctl", "-D", str(folder / "replica"), "-m", "immediate", "-w", "stop")
        _run("pg_ctl", "-D", str(primary_data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def paused(cluster: Cluster, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cluster]:
    """The replica with its replay paused and a content item committed on the primary only.
    Its lag grows from the pause on: a slow machine must not leave it aside."""
    monkeypatch.setattr(settings, "replica_max_lag_seconds", 3600.0)
    cluster.pause_replay()
    with Session(cluster.primary) as session:
        session.execute(
            text("INSERT INTO content_items (workspace_id, slug, title) VALUES (:ws, :slug, :t)"),
            {"ws": cluster.ids["ws"], "slug": f"p-{uuid.uuid4().hex[:8]}", "t": PRIMARY_ONLY},
        )
        session.commit()
    cluster.wait_for_replica("pg_last_wal_receive_lsn")  # received, not replayed
    yield cluster
    cluster.resume_replay()
    cluster.wait_for_replica()
    with Session(cluster.primary) as session:
        session.execute(text("DELETE FROM content_items WHERE title = :t"), {"t": PRIMARY_ONLY})
        session.commit()


def _client(cluster: Cluster, token: str | None = None) -> TestClient:
    app = create_app(cluster.primary, replica=cluster.replica)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return TestClient(app, headers=headers)


def _titles(client: TestClient) -> set[str]:
    answer = client.get(f"{API}/content")
    assert answer.status_code == 200, answer.text
    return {item["title"] for item in answer.json()["items"]}


def _segments(client: TestClient) -> set[str]:
    answer = client.get(f"{API}/outreach/segments")
    assert answer.status_code == 200, answer.text
    return {segment["name"] for segment in answer.json()}


def test_a_get_reads_the_replica_and_its_token_stamp_goes_to_the_primary(paused: Cluster) -> None:
    with Session(paused.primary) as session:
        session.execute(text("UPDATE api_tokens SET last_used_at = NULL"))
        session.commit()
    paused.wait_for_replica("pg_last_wal_receive_lsn")
    with _client(paused, paused.tokens["reader"]) as client:
        titles = _titles(client)
    assert "On both servers" in titles
    assert PRIMARY_ONLY not in titles  # the replica has not replayed it: the GET read there
    with Session(paused.primary) as session:
        stamped = session.execute(
            text("SELECT name FROM api_tokens WHERE last_used_at IS NOT NULL")
        )
        assert {row.name for row in stamped} == {"reader"}


def test_a_client_reads_its_own_write_and_another_client_does_not(paused: Cluster) -> None:
    app = create_app(paused.primary, replica=paused.replica)
    headers = {"Authorization": f"Bearer {paused.tokens['writer']}"}
    other = {"Authorization": f"Bearer {paused.tokens['other']}"}
    name = f"fans {uuid.uuid4().hex[:6]}"
    with TestClient(app, headers=headers) as writer, TestClient(app, headers=other) as bystander:
        created = writer.post(f"{API}/outreach/segments", json={"name": name, "filters": {}})
        assert created.status_code == 201, created.text
        assert "fanlens_wrote=" in created.headers["set-cookie"]
        assert name in _segments(writer)  # the cookie sends its reads to the primary
        assert PRIMARY_ONLY in _titles(writer)
        assert name not in _segments(bystander)  # the replica: replay is paused
    # A client of the same token that keeps no cookie: this process remembers the token wrote.
    with TestClient(app, headers=headers) as cookieless:
        assert name in _segments(cookieless)
    with _client(paused, paused.tokens["other"]) as fresh_app:
        assert name not in _segments(fresh_app)


def test_a_page_reads_the_replica_and_login_reads_its_own_session(paused: Cluster) -> None:
    with _client(paused) as browser:
        form = browser.get("/login").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert csrf
        data = {"username": "amy", "password": PASSWORD, "csrf_token": csrf.group(1)}
        assert browser.post("/login", data=data, follow_redirects=False).status_code == 303
        # Its dashboard session row is not on the paused replica: the page reads the primary.
        page = browser.get("/analytics/content", follow_redirects=False)
        assert page.status_code == 200
        assert PRIMARY_ONLY in page.text
        browser.cookies.delete("fanlens_wrote")  # as after FANLENS_REPLICA_STICKY_SECONDS
        page = browser.get("/analytics/content", follow_redirects=False)
        assert page.status_code == 303  # the replica has not replayed the login
        assert page.headers["location"].startswith("/login")


def test_a_replica_further_behind_than_the_bound_is_left_aside(
    paused: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "replica_max_lag_seconds", 0.0)  # paused with WAL waiting
    with _client(paused, paused.tokens["reader"]) as client:
        assert PRIMARY_ONLY in _titles(client)


def test_fanlens_serve_reads_the_replica_and_the_cookie_alone_reads_writes(paused: Cluster) -> None:
    port = free_port()
    env = fanlens_env(
        database_url=paused.primary.url.render_as_string(hide_password=False),
        FANLENS_DATABASE_REPLICA_URL=paused.replica.url.render_as_string(hide_password=False),
        FANLENS_REPLICA_MAX_LAG_SECONDS="3600",  # the paused replay's lag grows while it starts
    )
    command = [sys.executable, "-m", "fanlens", "serve", "--no-migrate", "--no-worker",
               "--port", str(port)]  # fmt: skip
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}{API}"
    name = f"served {uuid.uuid4().hex[:6]}"
    try:
        assert wait_for_http(f"http://127.0.0.1:{port}/healthz").status_code == 200
        writer = {"Authorization": f"Bearer {paused.tokens['writer']}"}
        body = {"name": name, "filters": {}}
        created = httpx.post(f"{base}/outreach/segments", json=body, headers=writer, timeout=30)
        assert created.status_code == 201, created.text
        # Another token, so the process's memory of the writer's token plays no part.
        other = {"Authorization": f"Bearer {paused.tokens['other']}"}
        with_cookie = httpx.get(f"{base}/outreach/segments", headers=other,
                                cookies=created.cookies, timeout=30)  # fmt: skip
        assert name in {segment["name"] for segment in with_cookie.json()}
        without = httpx.get(f"{base}/outreach/segments", headers=other, timeout=30)
        assert name not in {segment["name"] for segment in without.json()}
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def test_gets_answer_from_the_primary_when_the_replica_stops(cluster: Cluster) -> None:
    with _client(cluster, cluster.tokens["reader"]) as client:
        assert "On both servers" in _titles(client)  # the replica answers
        cluster.stop_replica()
        try:
            assert "On both servers" in _titles(client)  # and now the primary does
            assert client.get("/healthz").status_code == 200
        finally:
            cluster.start_replica()
