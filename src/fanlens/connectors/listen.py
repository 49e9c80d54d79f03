"""Which accounts have a live source, and running their runners side by side.

`fanlens listen` runs them in the foreground; `fanlens worker` (and the worker `fanlens serve`
starts) keeps them running in threads beside the job worker, looking for accounts added,
removed or flagged every minute. One thread per account: each blocks on its own connection.
However many workers run, one listens to each account: the one holding the account's advisory
lock (see Listeners).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Connection, Engine

from fanlens.config import settings
from fanlens.connectors import repository, service
from fanlens.connectors.base import AccountConfig
from fanlens.connectors.live import LiveEvent, LiveRunner, LiveSource
from fanlens.connectors.models import Account
from fanlens.db.engine import unit_of_work
from fanlens.kit.http import HttpOptions

log = logging.getLogger(__name__)


def _bluesky(account: AccountConfig) -> LiveSource:
    from fanlens.connectors.bluesky import BlueskyConnector
    from fanlens.connectors.bluesky_firehose import source_for

    # A live batch waits for its fans' profiles: one quick retry, not the poller's 7.5 s of
    # them (without profiles the records are stored by DID, and the next poll completes them).
    connector = BlueskyConnector.from_account(account, HttpOptions(max_retries=1))
    return source_for(settings.bluesky_stream_url or "", connector)


def _bluesky_check() -> None:
    from fanlens.connectors.bluesky_firehose import stream_kind

    stream_kind(settings.bluesky_stream_url or "")  # Jetstream or a firehose, by the path


def _mastodon(account: AccountConfig) -> LiveSource | None:
    from fanlens.connectors.mastodon import MastodonConnector
    from fanlens.connectors.mastodon_live import MastodonStreamSource

    token = account.credentials.get("access_token")
    if not token:  # the user stream needs the account's token: polled only
        return None
    connector = MastodonConnector.from_account(account, HttpOptions())
    return MastodonStreamSource(connector, str(account.settings["instance_url"]), str(token))


@dataclass(frozen=True)
class LiveKind:
    """How a platform listens: whether it is configured, its source for one account (None:
    this account cannot listen, e.g. it has no token), and a check of its settings run when
    listening starts (raises SettingError)."""

    configured: Callable[[], bool]
    build: Callable[[AccountConfig], LiveSource | None]
    check: Callable[[], None] = lambda: None


# One entry a platform that pushes events; the rest are polled only.
KINDS: dict[str, LiveKind] = {
    "bluesky": LiveKind(lambda: bool(settings.bluesky_stream_url), _bluesky, _bluesky_check),
    "mastodon": LiveKind(lambda: settings.mastodon_streaming, _mastodon),
}


def check_settings() -> None:
    """Raise SettingError when a configured live source's setting is wrong."""
    for kind in KINDS.values():
        if kind.configured():
            kind.check()


def has_source(platform: str) -> bool:
    """Whether the platform has a live source and it is configured."""
    kind = KINDS.get(platform)
    return kind is not None and kind.configured()


def source_for(account: AccountConfig) -> LiveSource | None:
    """The account's live source, when its platform has one and it is configured."""
    return KINDS[account.platform].build(account) if has_source(account.platform) else None


def runners(
    engine: Engine,
    *,
    account_id: uuid.UUID | None = None,
    on_event: Callable[[LiveEvent], None] | None = None,
) -> list[LiveRunner]:
    """A runner for each active account (or the one asked for) that has a live source."""
    check_settings()
    with unit_of_work(engine) as session:
        if account_id is not None:
            accounts: list[Account] = [service.get_or_raise(session=session, account_id=account_id)]
        else:
            accounts = [a for a in repository.list_accounts(session) if a.status == "active"]
        # Credentials are decrypted only for accounts that will be listened to.
        configs = [(a.workspace_id, service.config(a)) for a in accounts if has_source(a.platform)]
    found = []
    for workspace_id, config in configs:
        source = source_for(config)
        if source is not None:
            found.append(
                LiveRunner(
                    engine,
                    account_id=config.id,
                    workspace_id=workspace_id,
                    source=source,
                    on_event=on_event,
                )
            )
    return found


def start(live: list[LiveRunner], stop: threading.Event) -> list[threading.Thread]:
    """Run each runner in a daemon thread until `stop` is set."""
    threads = []
    for runner in live:
        thread = threading.Thread(
            target=_run, args=(runner, stop), name=f"live-{runner.account_id}", daemon=True
        )
        thread.start()
        threads.append(thread)
    return threads


def _run(runner: LiveRunner, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            runner.run(stop)
        except Exception:  # a bug or a database outage: logged, and the runner starts again
            log.exception("live runner failed; restarting in 5 s")
            stop.wait(5)


REFRESH = 60.0  # seconds between looks for accounts connected, removed or flagged


@contextmanager
def kept_open(engine: Engine, refresh: float = REFRESH) -> Iterator[Listeners]:
    """Keep every live-capable active account connected while the block runs; a wrong live
    setting raises SettingError before anything starts."""
    check_settings()
    listeners = Listeners(engine, refresh)
    try:
        yield listeners
    finally:
        listeners.close()


class Listeners:
    """This process's live runners. A runner starts only under the account's advisory lock,
    taken on `self.locks`, a connection kept for that: the other workers skip the account,
    and one of them takes it over at its next look once this process (or its machine) is
    gone and PostgreSQL has ended the connection."""

    def __init__(self, engine: Engine, refresh: float) -> None:
        self.engine = engine
        self.refresh = refresh
        self.running: dict[uuid.UUID, tuple[LiveRunner, threading.Event, threading.Thread]] = {}
        self.locks: Connection | None = None
        self.closing = threading.Event()
        self.thread = threading.Thread(target=self._watch, name="live-accounts", daemon=True)
        self.thread.start()

    def _watch(self) -> None:
        while not self.closing.is_set():
            try:
                self.update()
            except Exception:  # the database away: tried again at the next look
                log.exception("live: listing the accounts failed")
            self.closing.wait(self.refresh)

    def update(self) -> None:
        locks = self._lock_connection()
        wanted = {runner.account_id: runner for runner in runners(self.engine)}
        for account_id in set(self.running) - set(wanted):
            self._stop(account_id)
            repository.release_live_lock(locks, account_id)
        for account_id, runner in wanted.items():
            if account_id in self.running or not repository.try_live_lock(locks, account_id):
                continue  # listened to here already, or by another worker
            stop = threading.Event()
            [thread] = start([runner], stop)
            self.running[account_id] = (runner, stop, thread)
            log.info("live: listening to account %s", account_id)
        locks.commit()  # session-level locks: no transaction is left open

    def _lock_connection(self) -> Connection:
        """The connection holding the locks. When it is lost (the database restarted), the
        locks went with it: every runner stops, and the accounts are locked again afresh."""
        if self.locks is not None and repository.still_connected(self.locks):
            return self.locks
        if self.locks is not None:
            log.warning("live: lost the connection holding the accounts' locks; starting over")
            for account_id in list(self.running):
                self._stop(account_id)
            self.locks.invalidate()  # never back to the pool
            self.locks.close()
        self.locks = self.engine.connect()
        return self.locks

    def _stop(self, account_id: uuid.UUID) -> None:
        _, stop, _ = self.running.pop(account_id)
        stop.set()

    def close(self) -> None:
        self.closing.set()
        self.thread.join(timeout=10)
        for _, stop, _ in self.running.values():
            stop.set()
        for _, _, thread in self.running.values():
            thread.join(timeout=10)
        if self.locks is not None:
            self.locks.invalidate()  # its locks end with it, not kept in the pool
            self.locks.close()
            self.locks = None
