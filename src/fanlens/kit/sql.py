"""Small SQL helpers shared by repositories."""

from __future__ import annotations


def escape_like(text_: str) -> str:
    """User text made literal inside a LIKE pattern (use with escape='\\')."""
    return text_.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
