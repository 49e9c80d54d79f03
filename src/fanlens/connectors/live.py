"""The contract of live sources, and the runner that stores what they push.

A live source connects from a cursor and yields events; each event carries the records it
means (often none: a network stream carries far more than one creator's fans) and its cursor.
The runner gathers events in micro-batches (`batch_size` events or `batch_wait` seconds after
the first, whichever comes first) and stores each batch through `ingest_records` together
with the cursor after it, in one transaction: a crash loses nothing and doubles nothing, as
ingest is idempotent and the cursor never runs ahead of what is stored. A reconnect resumes
from the stored cursor minus the source's `rewind` (events seen again are stored once).
The cursor lives in `sync_state` under the source's name, beside the poller's streams.
Deletes and edits go through `fanlens.interactions.changes` in the same transaction;
deletes the stored platform ids cannot name are resolved by the source first
(`resolve_deletes`), outside it.
A source whose stream keeps no replay catches up otherwise from the cursor (Mastodon reads
its notifications list after it); what no source can replay is filled by the next poll, and
every outage stays in live_gaps.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from fanlens.connectors import repository
from fanlens.connectors.base import Record
from fanlens.db.engine import unit_of_work
from fanlens.interactions import repository as interaction_repository
from fanlens.interactions.ingest import IngestSummary, ingest_records
from fanlens.kit.logging import kv

log = logging.getLogger(__name__)

BATCH_SIZE = 100
BATCH_WAIT = 0.2  # seconds: the most a stored event waits for its batch
CURSOR_EVERY = 5.0  # seconds: how often a cursor moved only by other people's events is saved
# Seconds between tries to reconnect; at most 5 s, so a stream back after an outage is read
# again within 5 s (issue #25: back within 10 s of the platform's restart).
BACKOFF = (1.0, 2.0, 5.0)


class SettingError(ValueError):
    """A live source's setting is wrong: the message names the setting, what is wrong and how
    to fix it. Raised when listening starts."""


class Disconnected(Exception):
    """The connection ended (closed, reset, or never opened); the runner reconnects."""


@dataclass(frozen=True)
class LiveEvent:
    cursor: int
    records: list[Record] = field(default_factory=list)
    # Platform ids of interactions the platform says were deleted (only those stored apply).
    deleted: list[str] = field(default_factory=list)
    # Edits: {"external_id", "edited_at", "text"} of a platform id (only those stored apply).
    edited: list[Record] = field(default_factory=list)
    # The stream says it skipped events before this one (e.g. the firehose's OutdatedCursor):
    # recorded in live_gaps, for the next poll to fill.
    gap: str | None = None

    @property
    def carries_data(self) -> bool:
        return bool(self.records or self.deleted or self.edited)


class LiveConnection(ABC):
    @abstractmethod
    def next(self, timeout: float) -> LiveEvent | None:
        """The next event, or None when none came within `timeout` seconds; raises
        Disconnected when the connection is gone."""

    @abstractmethod
    def close(self) -> None: ...


class LiveSource(ABC):
    platform: ClassVar[str]
    name: ClassVar[str]  # the sync_state stream its cursor is stored under
    rewind: ClassVar[int]  # how far before the stored cursor a reconnect resumes
    # Interaction types the poller stores without a time, keyed the same way here.
    untimed_keys: ClassVar[frozenset[str]] = frozenset()
    # Interaction types the poller stores without a platform id: the id is kept, not keyed.
    unkeyed_ids: ClassVar[frozenset[str]] = frozenset()

    @abstractmethod
    def connect(self, cursor: int | None) -> LiveConnection:
        """Open the connection; with a cursor, the source replays from there. Raises
        Disconnected when it cannot connect."""

    def enrich(self, records: list[Record]) -> list[Record]:
        """Optional: complete the records of a batch (e.g. fans' profiles) before storing."""
        return records

    def resolve_deletes(
        self, engine: Engine, workspace_id: uuid.UUID, external_ids: list[str]
    ) -> list[Record]:
        """Optional: delete changes (interchange objects) for deleted ids that name no stored
        interaction by its own key (e.g. a like the poller stored without its id). Called
        before the batch's transaction, as it may ask the platform."""
        return []


@dataclass
class Counts:
    events: int = 0
    stored: int = 0
    inserted: int = 0
    deleted: int = 0
    edited: int = 0
    connects: int = 0


class LiveRunner:
    """Keeps one account's live source connected and stores its events until `stop` is set."""

    def __init__(
        self,
        engine: Engine,
        *,
        account_id: uuid.UUID,
        workspace_id: uuid.UUID,
        source: LiveSource,
        batch_size: int = BATCH_SIZE,
        batch_wait: float = BATCH_WAIT,
        on_event: Callable[[LiveEvent], None] | None = None,
    ) -> None:
        self.engine = engine
        self.account_id = account_id
        self.workspace_id = workspace_id
        self.source = source
        self.batch_size = batch_size
        self.batch_wait = batch_wait
        self.on_event = on_event
        self.counts = Counts()
        self.connected = threading.Event()

    def run(self, stop: threading.Event) -> None:
        failures = 0
        gap_open = False  # an outage recorded in live_gaps and not yet over
        while not stop.is_set():
            cursor = self.stored_cursor()
            resume = max(0, cursor - self.source.rewind) if cursor is not None else None
            try:
                connection = self.source.connect(resume)
            except Disconnected as exc:
                failures += 1
                log.warning(kv(event="live_connect_failed", source=self.source.name, error=exc))
                if not gap_open:
                    self._gap(cursor, f"cannot connect: {exc}")
                    gap_open = True
                stop.wait(BACKOFF[min(failures, len(BACKOFF)) - 1])
                continue
            failures = 0
            if gap_open:
                self._gap_over()
                gap_open = False
            self.counts.connects += 1
            self.connected.set()
            log.info(kv(event="live_connected", source=self.source.name, cursor=resume))
            try:
                self._pump(connection, stop)
            except Disconnected as exc:
                # The outage is a gap the rewound cursor replays; what the stream no longer
                # keeps (all of it, for a source without replay) is filled by the next poll.
                log.warning(kv(event="live_gap", source=self.source.name, since=cursor, error=exc))
                self._gap(self.stored_cursor(), str(exc))
                gap_open = True
            finally:
                self.connected.clear()
                connection.close()

    def _delete(self, session: Session, external_ids: list[str], resolved: list[Record]) -> int:
        found = _delete_changes(session, self.workspace_id, self.source.platform, external_ids)
        if not (found or resolved):
            return 0
        return self._apply(session, [*found, *resolved]).interactions_deleted

    def _edit(self, session: Session, edits: list[Record]) -> int:
        found = _edit_changes(session, self.workspace_id, self.source.platform, edits)
        return self._apply(session, found).interactions_edited if found else 0

    def _apply(self, session: Session, found: list[Record]) -> IngestSummary:
        from fanlens.interactions import changes

        return changes.apply(
            session=session, workspace_id=self.workspace_id, changes=found, source=self.source.name
        )

    def _gap(self, cursor: int | None, error: str) -> None:
        with unit_of_work(self.engine) as session:
            repository.open_gap(session, self.account_id, self.source.name, cursor, error)

    def _skipped(self, error: str) -> None:
        """A gap the stream reports while it stays connected: it begins and ends now."""
        log.warning(kv(event="live_gap", source=self.source.name, error=error))
        cursor = self.stored_cursor()
        with unit_of_work(self.engine) as session:
            repository.open_gap(session, self.account_id, self.source.name, cursor, error)
            session.flush()
            repository.close_gaps(session, self.account_id, self.source.name)

    def _gap_over(self) -> None:
        with unit_of_work(self.engine) as session:
            repository.close_gaps(session, self.account_id, self.source.name)

    def stored_cursor(self) -> int | None:
        with unit_of_work(self.engine) as session:
            state = repository.load_states(session, self.account_id).get(self.source.name, {})
        value = state.get("cursor")
        return int(value) if isinstance(value, int) else None

    def _pump(self, connection: LiveConnection, stop: threading.Event) -> None:
        batch: list[LiveEvent] = []
        first_at = saved_at = time.monotonic()
        while not stop.is_set():
            kept = [e for e in batch if e.carries_data]
            wait = self.batch_wait - (time.monotonic() - first_at) if kept else 0.5
            try:
                event = connection.next(max(wait, 0.0))
            except Disconnected:
                self._store(batch)  # what arrived before the cut is kept
                raise
            if event is not None and event.gap:
                self._skipped(event.gap)
            if event is not None:
                if event.carries_data and not kept:
                    first_at = time.monotonic()
                batch.append(event)
                kept = [e for e in batch if e.carries_data]
            due = bool(kept) and (
                len(kept) >= self.batch_size or time.monotonic() - first_at >= self.batch_wait
            )
            idle_cursor = bool(batch) and time.monotonic() - saved_at >= CURSOR_EVERY
            if due or idle_cursor:
                self._store(batch)
                batch, saved_at = [], time.monotonic()
        self._store(batch)

    def _store(self, batch: list[LiveEvent]) -> None:
        if not batch:
            return
        records = self.source.enrich([r for e in batch for r in e.records])
        deleted = [external_id for e in batch for external_id in e.deleted]
        resolved = (
            self.source.resolve_deletes(self.engine, self.workspace_id, deleted)
            + _deleted_in_batch(self.source, records, deleted)
            if deleted
            else []
        )
        with unit_of_work(self.engine) as session:
            summary = IngestSummary()
            if records:
                summary = ingest_records(
                    session,
                    workspace_id=self.workspace_id,
                    records=records,
                    source=self.source.name,
                    untimed_keys=self.source.untimed_keys,
                    unkeyed_ids=self.source.unkeyed_ids,
                )
            removed = self._delete(session, deleted, resolved) if deleted else 0
            edits = [edit for e in batch for edit in e.edited]
            edited = self._edit(session, edits) if edits else 0
            edited += summary.interactions_edited  # records carrying `edited_at` (Bluesky)
            cursor = max(e.cursor for e in batch)
            repository.save_state(session, self.account_id, self.source.name, {"cursor": cursor})
        # Counted once committed: a reader who waits on the counts then sees the rows.
        self.counts.events += len(batch)
        self.counts.deleted += removed
        self.counts.stored += summary.stored
        self.counts.inserted += summary.interactions_inserted
        self.counts.edited += edited
        if edited or (summary.interactions_inserted and any(r.get("text") for r in records)):
            from fanlens.sentiment.runner import defer_analysis

            defer_analysis(self.workspace_id, engine=self.engine)
        if self.on_event is not None:
            for event in batch:
                if event.records:
                    self.on_event(event)


def _delete_changes(
    session: Session, workspace_id: uuid.UUID, platform: str, external_ids: list[str]
) -> list[Record]:
    """Delete changes for the ids that are stored: a platform's stream announces every delete
    on the network, and only the creator's interactions concern fanlens."""
    kinds = interaction_repository.types_by_external_id(
        session, workspace_id, platform, sorted(set(external_ids))
    )
    return [
        {"platform": platform, "interaction_type": kind, "external_id": uri, "deleted": True}
        for uri, kind in kinds.items()
    ]


def _deleted_in_batch(
    source: LiveSource, records: list[Record], deleted: list[str]
) -> list[Record]:
    """Deletes of interactions created in the same batch (a create and its delete replayed
    together) whose id is not keyed: `resolve_deletes` runs before they are stored, so they
    are named here as ingest keys them."""
    gone = set(deleted)
    changes = []
    for record in records:
        kind = record.get("interaction_type")
        if kind not in source.unkeyed_ids or record.get("external_id") not in gone:
            continue
        fields = ["platform", "interaction_type", "user", "external_post_id", "occurred_at"]
        if kind in source.untimed_keys:
            fields.remove("occurred_at")
        changes.append({k: record[k] for k in fields if k in record} | {"deleted": True})
    return changes


def _edit_changes(
    session: Session, workspace_id: uuid.UUID, platform: str, edits: list[Record]
) -> list[Record]:
    """Edit changes for the ids that are stored: a stream sends edits of statuses that are
    not interactions with the creator (a followed account's post), which must not wait as
    changes of interactions that will never come."""
    ids = sorted({str(e["external_id"]) for e in edits})
    kinds = interaction_repository.types_by_external_id(session, workspace_id, platform, ids)
    return [
        {"platform": platform, "interaction_type": kinds[e["external_id"]], **e}
        for e in edits
        if e["external_id"] in kinds
    ]


def describe(event: LiveEvent) -> str:
    """One line for `fanlens listen`: when, where, what, who, on which post."""
    for record in event.records:
        if record.get("type") == "interaction":
            user = record["user"]
            who = user.get("username") or user["external_user_id"]
            on = record.get("external_post_id") or "the account"
            kind = record["interaction_type"]
            return f"{record.get('occurred_at', '-')}  {record['platform']}  {kind:<8} {who} → {on}"
    return ""
