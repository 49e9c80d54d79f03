"""Docs that cannot rot: every setting and CLI command is documented in README.md."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer.main

from fanlens.cli import app
from fanlens.config import Settings

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def _commands(group: typer.Typer, prefix: str = "fanlens") -> list[str]:
    click_group = typer.main.get_command(group)
    names: list[str] = []

    def walk(cmd, path: str) -> None:  # type: ignore[no-untyped-def]
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in subs.items():
                walk(sub, f"{path} {name}")
        else:
            names.append(path)

    walk(click_group, prefix)
    return names


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_every_setting_is_documented(field: str) -> None:
    assert f"`FANLENS_{field.upper()}`" in README


@pytest.mark.parametrize("command", _commands(app))
def test_every_cli_command_is_documented(command: str) -> None:
    assert f"`{command}" in README
