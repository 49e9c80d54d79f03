"""Export → sections → batches through the ingest pipeline, one transaction per batch."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from fanlens.exports.base import BadItem, ExportFiles, ExportParser, Section
from fanlens.exports.instagram import InstagramExport
from fanlens.exports.mastodon import MastodonExport
from fanlens.exports.tiktok import TikTokExport
from fanlens.exports.x import XArchive
from fanlens.interactions.ingest import Batch, IngestSummary, store_batch
from fanlens.interactions.interchange import Invalid, Reject, parse_object
from fanlens.kit.errors import InvalidInput

PARSERS: dict[str, ExportParser] = {
    p.platform: p for p in (InstagramExport(), TikTokExport(), XArchive(), MastodonExport())
}


@dataclass
class ExportSummary:
    ingest: IngestSummary = field(default_factory=IngestSummary)
    items: Counter[str] = field(default_factory=Counter)  # per section kind
    skipped: Counter[str] = field(default_factory=Counter)


def read_sections(*, platform: str, path: str) -> list[Section]:
    """Every section the export holds; layout errors surface here, before anything is stored."""
    parser = PARSERS.get(platform)
    if parser is None:
        raise InvalidInput(
            f"no export importer for {platform!r}; choose one of {', '.join(PARSERS)}"
        )
    return parser.sections(ExportFiles(path))


def import_sections(
    sections: list[Section],
    *,
    platform: str,
    workspace_id: uuid.UUID,
    session_scope: Callable[[], Any],
    batch_size: int,
    on_batch: Callable[[Batch], None] | None = None,
) -> ExportSummary:
    """Store each section's items in batches; each batch is committed on its own."""
    summary = ExportSummary()
    for section in sections:
        source = f"export:{platform}:{section.file}"
        for batch in _batches(section, batch_size, summary):
            with session_scope() as session:
                result = store_batch(session, workspace_id=workspace_id, batch=batch, source=source)
            summary.ingest.merge(result)
            if on_batch is not None:
                on_batch(batch)
    return summary


def _batches(section: Section, batch_size: int, summary: ExportSummary) -> Iterator[Batch]:
    batch = Batch()
    for number, item in enumerate(section.items, start=1):
        batch.lines += 1
        summary.items[section.what] += 1
        _add(batch, section, number, item, summary)
        if batch.lines >= batch_size:
            yield batch
            batch = Batch()
    if batch.lines:
        yield batch


def _add(batch: Batch, section: Section, number: int, item: Any, summary: ExportSummary) -> None:
    # Item numbers stand in for line numbers: the reject says which item of which file.
    try:
        record = section.to_record(item)
        if record is None:
            summary.skipped[section.what] += 1
            return
        batch.add(parse_object(record, number))
    except BadItem as exc:
        batch.add(
            Reject(number, exc.reason, f"{section.file} item {number}: {exc.message}", _raw(item))
        )
    except Invalid as exc:
        batch.add(
            Reject(number, exc.reason, f"{section.file} item {number}: {exc.message}", _raw(item))
        )


def _raw(item: Any) -> str:
    return json.dumps(item, ensure_ascii=False, default=str)[:20_000]
