"""Waking the sender when an API process commits a new webhook, across processes.

PostgreSQL: the transaction that writes an outbox row also sends `NOTIFY payment_outbox`
(delivered when it commits, dropped if it rolls back), and each sender LISTENs on a connection
of its own. SQLite has no notifications: a sender checks `PRAGMA data_version`, which changes
whenever another connection commits, twenty times a second (a read of a shared-memory header,
not a query). Either way a sender still polls every `PAYMENT_WEBHOOK_POLL_S`: a lost
notification (a dropped connection, a restart) only delays a webhook until then.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from contextlib import closing

import psycopg
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from .session import Database

log = logging.getLogger(__name__)

CHANNEL = "payment_outbox"
# At most one wake-up per check: every commit changes the counter (a sender's own claims and
# attempts too), and each wake-up costs a claim under SQLite's single write lock. A new webhook
# waits half of it on average; an idle sender reads twenty headers a second.
SQLITE_CHECK_S = 0.05
RECONNECT_S = 2.0


def notify_outbox(session: Session) -> None:
    """Tell the senders, once this transaction commits, that it wrote outbox rows."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})


class OutboxListener:
    """A daemon thread calling `wake` whenever another process may have written outbox rows."""

    def __init__(self, database: Database, wake: Callable[[], None]):
        self.url = make_url(database.url)
        self.dialect = database.dialect
        self.timeout_s = database.timeout_s
        self.wake = wake
        self._stopped = threading.Event()
        self.listening = threading.Event()
        """Set while notifications are being received (cleared while reconnecting)."""
        self._thread = threading.Thread(target=self._run, name="outbox-listener", daemon=True)

    def start(self) -> OutboxListener:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        listen = self._listen_postgres if self.dialect == "postgresql" else self._watch_sqlite
        while not self._stopped.is_set():
            try:
                listen()
            except Exception as error:  # the poll still runs; try again a little later
                self.listening.clear()
                log.warning("outbox notifications interrupted: %s", type(error).__name__)
                self._stopped.wait(RECONNECT_S)

    def _listen_postgres(self) -> None:
        conninfo = self.url.set(drivername="postgresql").render_as_string(hide_password=False)
        timeout = max(1, int(self.timeout_s))
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=timeout) as connection:
            connection.execute(f"LISTEN {CHANNEL}")
            self.listening.set()
            while not self._stopped.is_set():
                # Returns after each notification, or after a second to look at `_stopped`.
                for _ in connection.notifies(timeout=1.0, stop_after=1):
                    self.wake()

    def _watch_sqlite(self) -> None:
        path = self.url.database
        if not path or path == ":memory:":
            self.listening.set()
            self._stopped.wait()  # nothing another process could write to
            return
        with closing(sqlite3.connect(path, timeout=self.timeout_s)) as connection:
            seen = connection.execute("PRAGMA data_version").fetchone()[0]
            self.listening.set()
            while not self._stopped.wait(SQLITE_CHECK_S):
                version = connection.execute("PRAGMA data_version").fetchone()[0]
                if version != seen:
                    seen = version
                    self.wake()
