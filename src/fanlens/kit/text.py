"""PostgreSQL text and jsonb cannot hold NUL (U+0000): input that carries one is refused where
it comes in, as invalid input naming the field, instead of failing in the database."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, model_validator


def nul_at(value: Any, path: str = "") -> str | None:
    """The path of the first string (or mapping key) in `value` holding a NUL, else None."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and "\x00" in key:
                return here
            if (found := nul_at(item, here)) is not None:
                return found
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            if (found := nul_at(item, f"{path}[{i}]")) is not None:
                return found
    return None


class NulFree(BaseModel):
    """A request body whose strings, at any depth, must be storable."""

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        where = nul_at(data)
        if where is not None:
            raise ValueError(
                f"{where or 'a value'} contains a NUL character (U+0000), which cannot be "
                "stored; remove it"
            )
        return data
