"""Opening paths the way the CLI promises: `-` is stdin/stdout, `.gz` is gzip."""

from __future__ import annotations

import gzip
import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO


@contextmanager
def open_text_for_write(path: str) -> Iterator[IO[str]]:
    if path == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "wt", encoding="utf-8") as handle:
        yield handle


@contextmanager
def open_binary_for_read(path: str) -> Iterator[IO[bytes]]:
    """Raw bytes, so a bad UTF-8 sequence rejects one line instead of failing the file."""
    if path == "-":
        yield sys.stdin.buffer
        return
    with open(path, "rb") as raw:
        head = raw.read(2)
        raw.seek(0)
        if head == b"\x1f\x8b":
            with gzip.GzipFile(fileobj=raw) as gz:
                yield io.BufferedReader(gz)
        else:
            yield raw
