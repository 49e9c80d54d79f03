"""Message templates: Jinja2 in a sandbox, so a template can read its variables and nothing
else (no attribute walking to Python internals, no file access)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from fanlens.kit.errors import InvalidInput

_env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, trim_blocks=True)

# What a template can use; `counts` maps an interaction type (comment, like, …) to a count.
SAMPLE_CONTEXT: dict[str, Any] = {
    "name": "Ada",
    "handle": "ada",
    "platform": "youtube",
    "top_content": "Cold brew in 60 seconds",
    "first_interaction": "2026-01-31",
    "counts": {"comment": 12, "like": 40},
    "comments": 12,
    "interactions": 52,
    "score": 640.0,
    "tier": "super_fan",
}


def check(source: str) -> None:
    """Raise InvalidInput when a template does not parse or uses an unknown variable."""
    render(source, SAMPLE_CONTEXT)


@lru_cache(maxsize=64)
def _compiled(source: str) -> Template:
    return _env.from_string(source)  # compiling costs far more than rendering: once a source


def render(source: str, context: dict[str, Any]) -> str:
    try:
        return _compiled(source).render(context)
    except TemplateError as exc:  # SecurityError and UndefinedError are TemplateErrors
        raise InvalidInput(f"template: {exc}") from exc
