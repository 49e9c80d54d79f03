"""Opening paths the way the CLI promises: `-` is stdin/stdout, `.gz` is gzip."""

from __future__ import annotations

import gzip
import io
import sys
import zlib
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
            yield io.BufferedReader(Gunzip(raw), buffer_size=1 << 16)
        else:
            yield raw


class Gunzip(io.RawIOBase):
    """gzip decoding that hands out every byte it can decode before damage, then raises.

    gzip.GzipFile keeps back the last block it decoded when the file is cut short, so the lines
    in it would be lost; a damaged file is worth every complete line it still holds. A cut-short
    file raises EOFError, corrupt data zlib.error, once the readable bytes have been read.
    """

    CHUNK = 1 << 16
    PIECE = 512  # after corruption, re-read the chunk this finely to keep what precedes it

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self._unzip = zlib.decompressobj(wbits=31)
        self._out = b""
        self._at = 0
        self._error: Exception | None = None
        self._ended = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while self._at >= len(self._out):
            if self._error is not None:
                error, self._error = self._error, None
                raise error
            if self._ended:
                return 0
            self._out, self._at = self._fill(), 0
        n = min(len(buffer), len(self._out) - self._at)
        buffer[:n] = self._out[self._at : self._at + n]
        self._at += n
        return n

    def _fill(self) -> bytes:
        chunk = self._raw.read(self.CHUNK)
        if not chunk:
            self._ended = True
            if not self._unzip.eof:
                self._error = EOFError("compressed data ends before its end marker")
            return self._unzip.flush()
        saved = self._unzip.copy()
        try:
            return self._decode(chunk)
        except zlib.error:
            self._unzip = saved
        out = bytearray()
        for start in range(0, len(chunk), self.PIECE):
            try:
                out += self._decode(chunk[start : start + self.PIECE])
            except zlib.error as exc:
                self._error, self._ended = exc, True
                break
        return bytes(out)

    def _decode(self, data: bytes) -> bytes:
        out = self._unzip.decompress(data)
        while self._unzip.eof and self._unzip.unused_data:
            rest = self._unzip.unused_data
            if not rest.strip(b"\x00"):  # padding after the last member, as gzip allows
                break
            self._unzip = zlib.decompressobj(wbits=31)  # the next member of a multi-member file
            out += self._unzip.decompress(rest)
        return out
