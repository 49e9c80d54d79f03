"""The one path by which data enters fanlens: interchange records → staging → upserts.

A batch is stored in one transaction, so an import killed at any moment and run again from the
start reaches exactly the state a clean import reaches. Validation keeps out every value the
database cannot hold; should the database refuse a batch anyway, the batch is split until the
refused lines are found, and they are rejected while the rest is stored: an import never
aborts on data. The statement triggers on follower_interactions rescore exactly the followers a
batch touched; a bulk import's large batches leave that to its catch-up (upkeep.py).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import queue
import threading
import uuid
import zlib
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

import psycopg
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from fanlens.interactions import changes_repository, staging_repository, upkeep_repository
from fanlens.interactions.interchange import (
    ChangeRecord,
    FollowerRecord,
    InteractionRecord,
    Invalid,
    PostRecord,
    Record,
    Reject,
    as_interchange,
    parse_line,
    parse_object,
)
from fanlens.interactions.keys import dedup_key
from fanlens.kit.logging import kv

log = logging.getLogger(__name__)


@dataclass
class Batch:
    posts: list[PostRecord] = field(default_factory=list)
    followers: list[FollowerRecord] = field(default_factory=list)
    interactions: list[InteractionRecord] = field(default_factory=list)
    changes: list[ChangeRecord] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    lines: int = 0
    bytes_read: int = 0
    rows: StagingRows | None = None  # built by prepare_rows, in the parsing thread

    def add(self, item: Record | Reject) -> None:
        if isinstance(item, InteractionRecord):
            self.interactions.append(item)
        elif isinstance(item, FollowerRecord):
            self.followers.append(item)
        elif isinstance(item, PostRecord):
            self.posts.append(item)
        elif isinstance(item, ChangeRecord):
            self.changes.append(item)
        else:
            self.rejects.append(item)

    def records(self) -> list[Record]:
        """The batch's records in line order."""
        records: list[Record] = [*self.posts, *self.followers, *self.interactions, *self.changes]
        return sorted(records, key=lambda r: r.line)

    def prepare_rows(self) -> StagingRows:
        """The COPY rows of this batch. Followers are merged per identity here (the last
        non-empty value of each field wins), so the database upserts each one once."""
        if self.rows is None:
            merged: dict[tuple[str, str], list[Any]] = {}
            for record in [*self.followers, *(i.user for i in self.interactions)]:
                row = staging_repository.follower_row(record)
                key = (record.platform, record.external_user_id)
                known = merged.get(key)
                if known is None:
                    merged[key] = list(row)
                else:
                    known[:] = [
                        new if new is not None else old for old, new in zip(known, row, strict=True)
                    ]
            self.rows = StagingRows(
                posts=staging_repository.copy_text(
                    [staging_repository.post_row(p) for p in self.posts]
                ),
                followers=staging_repository.copy_text([tuple(r) for r in merged.values()]),
                interactions=staging_repository.copy_text(
                    [staging_repository.interaction_row(i) for i in self.interactions]
                ),
            )
        return self.rows


@dataclass
class StagingRows:
    """COPY text of each staging table."""

    posts: str
    followers: str
    interactions: str


@dataclass
class IngestSummary:
    lines: int = 0
    posts_created: int = 0
    posts_updated: int = 0
    followers_created: int = 0
    followers_updated: int = 0
    interactions_inserted: int = 0
    interactions_already_present: int = 0
    interactions_upgraded: int = 0  # stored with an observed time, now the platform's exact one
    interactions_deleted: int = 0
    interactions_edited: int = 0
    changes_waiting: int = 0  # edits and deletes of interactions not stored (yet, or any more)
    followers_touched: int = 0
    stored: int = 0  # lines whose record was stored (new, updated or already present)
    rejected: Counter[str] = field(default_factory=Counter)
    rejects: list[Reject] = field(default_factory=list)
    damaged: list[str] = field(default_factory=list)  # where an input stopped being readable

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    def merge(self, other: IngestSummary) -> None:
        for name in (
            "lines",
            "posts_created",
            "posts_updated",
            "followers_created",
            "followers_updated",
            "interactions_inserted",
            "interactions_already_present",
            "interactions_upgraded",
            "interactions_deleted",
            "interactions_edited",
            "changes_waiting",
            "followers_touched",
            "stored",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.rejected.update(other.rejected)
        self.damaged.extend(other.damaged)

    def as_dict(self) -> dict[str, Any]:
        return {
            "lines": self.lines,
            "posts": {"created": self.posts_created, "updated": self.posts_updated},
            "followers": {"created": self.followers_created, "updated": self.followers_updated},
            "interactions": {
                "inserted": self.interactions_inserted,
                "already_present": self.interactions_already_present,
                "upgraded": self.interactions_upgraded,
                "deleted": self.interactions_deleted,
                "edited": self.interactions_edited,
            },
            "changes_waiting": self.changes_waiting,
            "rejected": dict(self.rejected),
        }


def store_batch(
    session: Session, *, workspace_id: uuid.UUID, batch: Batch, source: str
) -> IngestSummary:
    """Store one parsed batch; flushes, never commits (the caller's transaction is the batch)."""
    summary = IngestSummary(lines=batch.lines)
    refused = _store_or_split(session, workspace_id, batch, summary)
    rejects = [*batch.rejects, *refused]
    _store_rejects(session, workspace_id, source, rejects)
    summary.rejected.update(r.reason for r in rejects)
    summary.rejects = rejects
    session.flush()
    log.info(
        kv(
            event="ingest_batch",
            source=source,
            lines=batch.lines,
            followers_created=summary.followers_created,
            interactions_stored=summary.interactions_inserted,
            already_present=summary.interactions_already_present,
            rejected=len(rejects),
        )
    )
    return summary


def _store_or_split(
    session: Session, workspace_id: uuid.UUID, batch: Batch, summary: IngestSummary
) -> list[Reject]:
    """Store the batch's records under a savepoint; when the database refuses them, store each
    half on its own, down to the single lines it refuses. Returns those lines as rejects."""
    try:
        with session.begin_nested():
            _store_records(session, workspace_id, batch, summary)
    except (DBAPIError, psycopg.Error) as exc:
        refusal = _refusal(exc)
        if refusal is None:
            raise
        records = batch.records()
        if len(records) == 1:
            return [_refused(records[0], refusal)]
        half = len(records) // 2
        return [
            *_store_or_split(session, workspace_id, _batch_of(records[:half]), summary),
            *_store_or_split(session, workspace_id, _batch_of(records[half:]), summary),
        ]
    return []


# SQLSTATE classes raised by what a row holds: data exceptions (22), integrity violations (23)
# and program limits such as an index entry too large (54). Anything else is not about the data.
DATA_ERROR_CLASSES = ("22", "23", "54")


def _refusal(exc: Exception) -> str | None:
    """The database's message when `exc` is a refusal of the data, else None."""
    error = exc.orig if isinstance(exc, DBAPIError) else exc
    if not isinstance(error, psycopg.Error) or error.sqlstate is None:
        return None
    if error.sqlstate[:2] not in DATA_ERROR_CLASSES:
        return None
    return error.diag.message_primary or str(error).strip()


def _refused(record: Record, message: str) -> Reject:
    raw = json.dumps(as_interchange(record), ensure_ascii=False, default=str)
    return Reject(record.line, "refused_by_database", f"the database refused it: {message}", raw)


def _batch_of(records: list[Record]) -> Batch:
    batch = Batch()
    for record in records:
        batch.add(record)
    return batch


def _store_records(
    session: Session, workspace_id: uuid.UUID, batch: Batch, summary: IngestSummary
) -> None:
    """COPY the batch into staging and upsert from there, adding what was written to summary."""
    rows = batch.prepare_rows()
    staging_repository.stage(
        session, posts=rows.posts, followers=rows.followers, interactions=rows.interactions
    )
    part = IngestSummary(stored=len(batch.records()))
    if batch.posts:
        row = staging_repository.upsert_posts(session, workspace_id=workspace_id)
        part.posts_created, part.posts_updated = row.created, row.updated
    if rows.followers:
        row = staging_repository.upsert_followers(session, workspace_id=workspace_id)
        part.followers_created, part.followers_updated = row.created, row.updated
    if batch.interactions:
        row = staging_repository.insert_interactions(session, workspace_id=workspace_id)
        part.interactions_inserted = row.inserted
        part.followers_touched = row.followers
        part.interactions_already_present = len(batch.interactions) - row.inserted
        kinds = _timed_kinds(batch) if part.interactions_already_present else set()
        if kinds:
            part.interactions_upgraded = staging_repository.upgrade_observed_times(
                session, workspace_id=workspace_id, kinds=kinds
            )
    _store_changes(session, workspace_id, batch, part)
    summary.merge(part)  # only once every statement succeeded: a refused batch counts nothing


def _timed_kinds(batch: Batch) -> set[tuple[str, str]]:
    """The (platform, type) pairs the batch brings with a platform id and time: only those can
    give a stored observed-time copy its exact time (a batch that stored every interaction
    anew skips the look-up)."""
    return {
        (i.platform, i.interaction_type)
        for i in batch.interactions
        if i.occurred_at is not None and i.external_id
    }


def _store_changes(
    session: Session, workspace_id: uuid.UUID, batch: Batch, part: IngestSummary
) -> None:
    """Record the batch's edits and deletes, after its interactions (so an edit or delete in the
    same batch as its interaction reaches it, in either order), and apply them."""
    edits = [
        ChangeRecord(i.line, i.platform, i.external_id, [(i.interaction_type, i.key)], False,
                     i.edited_at, i.text, {})
        for i in batch.interactions
        if i.edited_at is not None and i.text is not None
    ]  # fmt: skip
    changes = [*batch.changes, *edits]
    rows = _merged_changes(changes)
    if not rows:
        return
    changes_repository.record(session, workspace_id=workspace_id, rows=list(rows.values()))
    outcome = changes_repository.apply(session, workspace_id=workspace_id, keys=list(rows))
    part.interactions_deleted = len(outcome.deleted)
    part.interactions_edited = outcome.edited
    found = outcome.deleted | outcome.stored
    part.changes_waiting = sum(
        1
        for change in batch.changes
        if not any((change.platform, key) in found for _, key in change.candidates)
    )


def _merged_changes(changes: list[ChangeRecord]) -> dict[tuple[str, uuid.UUID], dict[str, Any]]:
    """One change per interaction: a delete wins, else the latest edit."""
    merged: dict[tuple[str, uuid.UUID], dict[str, Any]] = {}
    for change in changes:
        for kind, key in change.candidates:
            row = merged.setdefault(
                (change.platform, key),
                {
                    "platform": change.platform,
                    "dedup_key": key,
                    "interaction_type": kind,
                    "external_id": change.external_id,
                    "deleted": False,
                    "edited_at": None,
                    "edited_text": None,
                },
            )
            row["deleted"] = row["deleted"] or change.deleted
            if change.edited_at is not None and (
                row["edited_at"] is None or change.edited_at > row["edited_at"]
            ):
                row["edited_at"], row["edited_text"] = change.edited_at, change.text
    return merged


def _store_rejects(
    session: Session, workspace_id: uuid.UUID, source: str, rejects: list[Reject]
) -> None:
    if not rejects:
        return
    source = _storable(source)
    rows = [
        {
            "workspace_id": workspace_id,
            "source": source,
            "line_number": r.line,
            "reason": r.reason,
            "message": r.message.replace("\x00", ""),
            "raw": r.raw.replace("\x00", ""),
            "raw_hash": uuid.UUID(bytes=hashlib.md5(r.raw.encode()).digest()),
        }
        for r in rejects
    ]
    staging_repository.insert_rejects(session, rows)


def _storable(value: str) -> str:
    """A file name (which may hold any bytes) as text PostgreSQL accepts."""
    return value.encode("utf-8", "replace").decode("utf-8").replace("\x00", "")


def ingest_records(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    records: Iterable[dict[str, Any]],
    source: str,
    untimed_keys: Collection[str] = (),
    unkeyed_ids: Collection[str] = (),
) -> IngestSummary:
    """Validate and store interchange records (dicts) as one batch: connectors and the API.

    `untimed_keys`: interaction types keyed as if they had no time although they carry one —
    a live event knows when a repost happened, but the poll that may store it too does not.
    `unkeyed_ids`: likewise, types keyed as if they had no platform id (the id is stored).
    An untimed one made after its key's delete was recorded is a new one (a fan who unfollowed
    and followed again): the tombstone is lifted and it is stored."""
    batch = Batch()
    renewed: list[tuple[str, uuid.UUID, datetime]] = []
    for number, obj in enumerate(records, start=1):
        batch.lines += 1
        try:
            item = parse_object(obj, number)
            if isinstance(item, InteractionRecord):
                _rekey(item, untimed_keys, unkeyed_ids)
                if item.interaction_type in untimed_keys and item.occurred_at is not None:
                    renewed.append((item.platform, item.key, item.occurred_at))
            batch.add(item)
        except Invalid as exc:
            raw = json.dumps(obj, ensure_ascii=False, default=str)
            batch.add(Reject(number, exc.reason, exc.message, raw))
    if renewed:
        changes_repository.revive(session, workspace_id=workspace_id, items=renewed)
    return store_batch(session, workspace_id=workspace_id, batch=batch, source=source)


def _rekey(
    item: InteractionRecord, untimed_keys: Collection[str], unkeyed_ids: Collection[str]
) -> None:
    kind = item.interaction_type
    if kind in untimed_keys or kind in unkeyed_ids:
        item.key = dedup_key(
            interaction_type=kind,
            external_id=None if kind in unkeyed_ids else item.external_id,
            external_post_id=item.external_post_id,
            external_user_id=item.user.external_user_id,
            occurred_at=None if kind in untimed_keys else item.occurred_at,
        )


class DamagedInput(Exception):
    """The input could not be read past some line; the lines before it were complete."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def iter_batches(stream: IO[bytes], batch_size: int) -> Iterator[Batch]:
    """Parse a byte stream of JSONL into batches, in bounded memory.

    When reading fails part way (a truncated or corrupt .gz, a failing disk), the complete lines
    read so far are yielded first, then DamagedInput names the line where reading stopped.
    """
    batch = Batch()
    number = 0
    try:
        for number, raw in enumerate(stream, start=1):
            batch.lines += 1
            batch.bytes_read += len(raw)
            item = parse_line(raw.rstrip(b"\r\n"), number)
            if item is not None:
                batch.add(item)
            if batch.lines >= batch_size:
                batch.prepare_rows()
                yield batch
                batch = Batch()
    except (EOFError, zlib.error, OSError) as exc:
        if batch.lines:
            batch.prepare_rows()
            yield batch
        raise DamagedInput(_damage(exc, number + 1)) from exc
    if batch.lines:
        batch.prepare_rows()
        yield batch


def _damage(exc: BaseException, line: int) -> str:
    if isinstance(exc, EOFError):
        return f"damaged compressed input at line {line:,}: the data ends early (truncated file?)"
    if isinstance(exc, zlib.error | gzip.BadGzipFile):
        return f"damaged compressed input at line {line:,}: {exc}"
    return f"reading failed at line {line:,}: {getattr(exc, 'strerror', None) or exc}"


def prefetch(batches: Iterator[Batch], depth: int = 2) -> Iterator[Batch]:
    """Parse the next batches in a thread while the database stores the current one.

    psycopg releases the GIL while PostgreSQL works, so parsing and storing overlap.
    """
    q: queue.Queue[Batch | BaseException | None] = queue.Queue(maxsize=depth)

    def produce() -> None:
        try:
            for b in batches:
                q.put(b)
            q.put(None)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            q.put(exc)

    threading.Thread(target=produce, daemon=True, name="ingest-parse").start()
    while (item := q.get()) is not None:
        if isinstance(item, BaseException):
            raise item
        yield item


# A bulk import's batch of at least this many interactions leaves the followers' derived rows
# to the catch-up after the load (fanlens.interactions.upkeep); smaller batches, connector
# syncs, live events and the API keep them current in their own transaction.
BULK_INTERACTIONS = 1_000


def import_stream(
    stream: IO[bytes],
    *,
    workspace_id: uuid.UUID,
    source: str,
    session_scope: Callable[[], Any],
    batch_size: int,
    on_batch: Callable[[Batch, IngestSummary], None] | None = None,
    bulk: bool = False,
) -> IngestSummary:
    """Import a JSONL stream batch by batch, each batch in its own committed transaction.

    A stream that breaks part way is not an error here: its complete lines are stored and
    `damaged` in the summary says where it broke. `bulk`: batches of BULK_INTERACTIONS or more
    defer their followers' upkeep; the caller then runs the catch-up.
    """
    total = IngestSummary()
    try:
        for batch in prefetch(iter_batches(stream, batch_size)):
            with session_scope() as session:
                deferred = bulk and len(batch.interactions) >= BULK_INTERACTIONS
                if deferred:
                    upkeep_repository.defer(session)
                result = store_batch(session, workspace_id=workspace_id, batch=batch, source=source)
                if deferred:
                    upkeep_repository.resume(session)
            total.merge(result)
            if on_batch is not None:
                on_batch(batch, result)
    except DamagedInput as exc:
        total.damaged.append(f"{source}: {exc.message}")
    return total
