from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from fanlens.db import embedded

GB = 2**30


def test_shared_buffers_is_an_eighth_of_memory_within_bounds() -> None:
    assert embedded.shared_buffers(512 * 2**20) == "128MB"  # never below PostgreSQL's default
    assert embedded.shared_buffers(8 * GB) == "1024MB"
    assert embedded.shared_buffers(64 * GB) == "2048MB"


@pytest.mark.skipif(
    bool(os.environ.get("FANLENS_TEST_DATABASE_URL")), reason="tunes the embedded server only"
)
def test_embedded_server_is_configured_for_its_next_start(admin_url: str) -> None:
    engine = create_engine(admin_url, poolclass=NullPool)
    with engine.connect() as conn:
        configured = dict(
            conn.execute(
                text(
                    "SELECT name, setting FROM pg_file_settings "
                    "WHERE sourcefile LIKE '%postgresql.auto.conf' AND applied IS NOT NULL"
                )
            ).all()
        )
        page_cost = conn.execute(text("SHOW random_page_cost")).scalar_one()
    engine.dispose()
    assert configured["shared_buffers"] == embedded.shared_buffers()
    assert page_cost == "1.1"  # reloadable settings apply at once


@pytest.mark.skipif(
    bool(os.environ.get("FANLENS_TEST_DATABASE_URL")), reason="tunes the embedded server only"
)
@pytest.mark.xdist_group(name="own-server")
def test_a_new_data_folder_runs_with_its_settings_from_the_first_start(tmp_path: Path) -> None:
    data_dir = tmp_path / "fresh"
    url = embedded.ensure_server(data_dir)
    try:
        engine = create_engine(url, poolclass=NullPool)
        with engine.connect() as conn:
            shared_mb = conn.execute(
                text("SELECT setting::bigint * 8192 / 1048576 FROM pg_settings "
                     "WHERE name = 'shared_buffers'")
            ).scalar_one()  # fmt: skip
            pending = conn.execute(
                text("SELECT count(*) FROM pg_settings WHERE pending_restart")
            ).scalar_one()
        engine.dispose()
    finally:
        embedded.stop_server(data_dir)
    assert (f"{shared_mb}MB", pending) == (embedded.shared_buffers(), 0)
