"""A client generated from /openapi.json by openapi-python-client holds every operation, and it
works: its calls against `fanlens serve` on a real socket parse into models holding the data."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from fanlens.server.app import create_app
from tests.api.conftest import World, _world
from tests.helpers import fanlens_env, free_port, wait_for_http

PACKAGE = "fanlens_generated_client"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return create_app().openapi()


@pytest.fixture(scope="module")
def generated(document: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("client")
    (root / "openapi.json").write_text(json.dumps(document))
    # No post hooks: they only format the output with ruff, which is not the generator's check.
    (root / "config.yaml").write_text("post_hooks: []\n")
    tool = Path(sys.executable).with_name("openapi-python-client")
    command = ["generate", "--path", "openapi.json", "--output-path", PACKAGE, "--meta", "none"]
    done = subprocess.run(
        [str(tool), *command, "--config", "config.yaml"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "warning" not in output.lower(), output
    return root / PACKAGE


def test_operation_ids_are_unique_names_and_every_model_has_one_schema(
    document: dict[str, Any],
) -> None:
    ids = [op["operationId"] for ops in document["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))
    assert {"list_content", "get_follower", "get_scoring", "put_scoring", "ingest"} <= set(ids)
    # FastAPI splits a model whose input and output schemas differ into "X-Input" and
    # "X-Output"; generators then write two models with one name and drop one of them.
    assert [name for name in document["components"]["schemas"] if "-" in name] == []


def test_every_operation_and_response_is_in_the_generated_client(
    document: dict[str, Any], generated: Path
) -> None:
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            modules = list(generated.glob(f"api/*/{operation['operationId']}.py"))
            assert len(modules) == 1, f"{method.upper()} {path}: {modules}"
            source = modules[0].read_text()
            for status in operation["responses"]:
                assert f"response.status_code == {status}" in source, (method, path, status)


@pytest.fixture(scope="module")
def served(admin_url: str, template_database: str) -> Iterator[tuple[str, World]]:
    """Its own copy of the API world, since the test changes the scoring rules."""
    for world in _world(admin_url, template_database):
        port = free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "fanlens", "serve", "--port", str(port), "--no-migrate"],
            env=fanlens_env(database_url=world.url),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            assert wait_for_http(f"{base}/healthz").status_code == 200
            yield base, world
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def _module(generated: Path, name: str) -> ModuleType:
    parent = str(generated.parent)
    if parent not in sys.path:
        sys.path.insert(0, parent)
    return importlib.import_module(f"{PACKAGE}.{name}")


def test_the_generated_client_calls_a_real_server(
    generated: Path, served: tuple[str, World]
) -> None:
    base, world = served
    package = _module(generated, "client")
    reader = package.AuthenticatedClient(base_url=base, token=world.tokens["a_read"])
    writer = package.AuthenticatedClient(base_url=base, token=world.tokens["a_write"])
    list_content = _module(generated, "api.content.list_content")
    leaderboard = _module(generated, "api.followers.leaderboard")
    get_follower = _module(generated, "api.followers.get_follower")
    get_scoring = _module(generated, "api.scoring.get_scoring")
    put_scoring = _module(generated, "api.scoring.put_scoring")
    models = _module(generated, "models")

    page = list_content.sync(client=reader)
    assert isinstance(page, models.PageContentSummary)
    assert [(item.slug, item.total_engagement) for item in page.items] == [
        ("latte", 311),
        ("cold-brew", 220),
        ("myths", 6),
    ]

    board = leaderboard.sync(client=reader)
    assert isinstance(board, models.Leaderboard)
    assert [entry.username for entry in board.items][:2] == ["super_sam", "creator_amy"]

    sam = get_follower.sync(follower_id=world.ids["sam"], client=reader)
    assert isinstance(sam, models.FollowerDetail)
    assert sam.profile.username == "super_sam"
    assert sam.score is not None and sam.score.share_count == 50
    assert sam.score_explanation.score == 505
    assert sam.score_explanation.tier.value == "super_fan"

    before = get_scoring.sync(client=reader)
    assert isinstance(before, models.ScoringConfigOut)
    change = models.ScoringConfigChange.from_dict({"weights": {"comment": 10}})
    after = put_scoring.sync(client=writer, body=change)
    assert isinstance(after, models.ScoringConfigOut)
    assert after.version == before.version + 1
    assert after.weights["comment"] == 10
    denied = put_scoring.sync(client=reader, body=change)
    assert isinstance(denied, models.ErrorResponse)
