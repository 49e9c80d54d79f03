"""Structured (key=value) logging for the CLI, server and workers."""

from __future__ import annotations

import logging


def setup(level: str = "INFO") -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    for noisy in ("httpx", "pgserver", "alembic", "procrastinate"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def kv(**fields: object) -> str:
    """Render fields as `key=value` pairs, the form log search tools parse."""
    return " ".join(f"{k}={v}" for k, v in fields.items())
