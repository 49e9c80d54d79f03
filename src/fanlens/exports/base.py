"""The contract every export parser follows, and reading an export (a .zip, a folder or a file).

A parser turns an export into `Section`s: one per file it understands, holding that file's items
and how one item becomes an interchange record. Layout problems of a whole file (wrong top-level
shape, a section that moved) raise `LayoutError` before anything is stored; a problem in one item
becomes a reject of that item only, so good items around it are kept.
"""

from __future__ import annotations

import functools
import json
import os
import re
import tarfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

from fanlens.kit.errors import InvalidInput

Record = dict[str, Any]
DATA_SUFFIXES = (".json", ".js", ".csv")


class LayoutError(InvalidInput):
    """The export does not have the layout fanlens knows: names the file and what it expected."""

    def __init__(self, file: str, expected: str) -> None:
        super().__init__(f"{file}: expected {expected} (unknown or changed export layout)")
        self.file = file


class BadItem(Exception):
    """One item of an export file cannot be read; it is rejected, the others are kept."""

    def __init__(self, message: str, reason: str = "bad_export_item") -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason


@dataclass
class Section:
    """The items of one export file and how each becomes a record (None: skipped on purpose)."""

    file: str
    items: list[Any]
    to_record: Callable[[Any], Record | None]
    what: str  # for people: "followers", "posts", …


class ExportParser(Protocol):
    platform: str

    def sections(self, export: ExportFiles) -> list[Section]: ...


class ExportFiles:
    """The files of an export, whatever it came as: a .zip, a .tar.gz, a folder or one file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.name = os.path.basename(os.path.normpath(path))
        self._members = self._list()

    def _list(self) -> dict[str, Callable[[], bytes]]:
        p = Path(self.path)
        if p.is_dir():
            files = sorted(f for f in p.rglob("*") if f.is_file())
            return {f.relative_to(p).as_posix(): f.read_bytes for f in files}
        if not p.is_file():
            raise InvalidInput(f"cannot read {self.path}: no such file or folder")
        if zipfile.is_zipfile(p):
            with zipfile.ZipFile(p) as archive:
                names = [i.filename for i in archive.infolist() if not i.is_dir()]
            return {n: functools.partial(_zip_member, p, n) for n in names}
        if tarfile.is_tarfile(p):
            return _tar_data_members(p)
        return {p.name: p.read_bytes}

    def find(self, pattern: re.Pattern[str]) -> list[str]:
        """Members whose file name (not folder) matches, wherever they sit: folders move."""
        return sorted(n for n in self._members if pattern.fullmatch(PurePosixPath(n).name))

    def find_one(self, *names: str) -> str | None:
        for wanted in names:
            found = self.find(re.compile(re.escape(wanted)))
            if found:
                return found[0]
        return None

    def read_text(self, member: str) -> str:
        raw = self._members[member]()
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise LayoutError(member, "UTF-8 text") from exc

    def read_json(self, member: str) -> Any:
        try:
            return json.loads(self.read_text(member))
        except json.JSONDecodeError as exc:
            raise LayoutError(member, f"JSON (line {exc.lineno}: {exc.msg})") from exc


def _zip_member(path: Path, name: str) -> bytes:
    # A fresh handle per read: nothing stays open, and exports hold only a few data files.
    with zipfile.ZipFile(path) as archive:
        return archive.read(name)


def _tar_data_members(path: Path) -> dict[str, Callable[[], bytes]]:
    """The data files of a tar(.gz) (Mastodon archives), read in one pass; media is skipped."""
    found: dict[str, Callable[[], bytes]] = {}
    with tarfile.open(path) as tar:
        for member in tar:
            if member.isfile() and member.name.endswith(DATA_SUFFIXES):
                handle = tar.extractfile(member)
                data = handle.read() if handle else b""
                found[member.name.removeprefix("./")] = functools.partial(bytes, data)
    return found


def dig(data: Any, *path: str) -> Any:
    """data[path[0]][path[1]]…, or None when a step is missing."""
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def count(value: Any, field: str) -> int | None:
    """Counts arrive as numbers or as strings ("1234"); absent stays None (unknown, not 0)."""
    if value is None or value == "":
        return None
    try:
        number = int(str(value).replace(",", ""))
    except ValueError as exc:
        raise BadItem(f"field '{field}' is not a count: {value!r}", "wrong_type") from exc
    if number < 0:
        raise BadItem(f"field '{field}' is negative: {value!r}")
    return number


def follow(platform: str, user: Record, occurred_at: str | None) -> Record:
    """A follow: an interaction without a post, at the platform's own time when it has one."""
    record: Record = {
        "type": "interaction",
        "platform": platform,
        "interaction_type": "follow",
        "user": {k: v for k, v in user.items() if v is not None},
    }
    if occurred_at is not None:
        record["occurred_at"] = occurred_at
    return record
