"""Counting failed password checks per client in a sliding window shared by all processes.

Every failure is one short INSERT into `payment_auth_failures`, committed on its own (never
inside the transaction that read the record). Before spending anything on a client, a process
reads that client's failures of the last window; past the limit the client is refused until
enough of them have aged out. Old rows are purged by whichever process notices they are due.

A client with no failure at all in the window (a service polling its payments) is read again
at most once per `CLEAN_RECHECK_S` per process, which keeps that read off the hot path of a
cached look-up. The first failure this process sees from the client ends that at once, so a
client failing elsewhere can slip at most one unchecked request per process and period.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timedelta

from ..db import Database
from ..db.queries import auth_failures

CLEAN_RECHECK_S = 1.0
# Clean clients remembered per process (the oldest are forgotten first, and simply re-read).
CLEAN_CLIENTS_KEPT = 10_000


class FailureThrottle:
    def __init__(
        self, database: Database, limit: int, window_s: float, clock: Callable[[], datetime]
    ):
        self.database = database
        self.limit = limit
        self.window = timedelta(seconds=window_s)
        self._clock = clock
        self._clean_until: OrderedDict[str, datetime] = OrderedDict()
        self._clean_lock = threading.Lock()
        self._purged_at: datetime | None = None
        self._purge_lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.limit > 0

    def retry_after(self, client: str) -> int | None:
        """Seconds until `client` may try again, or None when it may try now."""
        if not self.enabled:
            return None
        now = self._clock()
        with self._clean_lock:
            until = self._clean_until.get(client)
        if until is not None and now < until:
            return None
        # A read-only unit of work (SQLite: deferred BEGIN, so it never waits on a writer).
        # The client's most recent failures in the window, at most `limit`: that many means
        # throttled until the oldest of them ages out; none means a clean client.
        with self.database.reading() as session:
            recent = auth_failures.recent(session, client, now - self.window, max(self.limit, 1))
        if not recent:
            self._remember_clean(client, now + timedelta(seconds=CLEAN_RECHECK_S))
        if len(recent) < self.limit:
            return None
        return max(1, math.ceil((recent[-1] + self.window - now).total_seconds()))

    def record(self, client: str, count: int = 1) -> None:
        """Count `count` failed checks by `client`, now."""
        if not self.enabled or count < 1:
            return
        now = self._clock()
        with self.database.transaction() as session:
            auth_failures.add(session, client, now, count)
            if self._purge_due(now):
                auth_failures.purge(session, now - self.window)
        with self._clean_lock:  # no longer clean: read its count again from the next request on
            self._clean_until.pop(client, None)

    def _remember_clean(self, client: str, until: datetime) -> None:
        with self._clean_lock:
            self._clean_until[client] = until
            self._clean_until.move_to_end(client)
            while len(self._clean_until) > CLEAN_CLIENTS_KEPT:
                self._clean_until.popitem(last=False)

    def _purge_due(self, now: datetime) -> bool:
        # At most once a window per process: rows older than a window never count again, and a
        # failure-free server has nothing to purge (its table stays as small as its last burst).
        with self._purge_lock:
            if self._purged_at is not None and now - self._purged_at < self.window:
                return False
            self._purged_at = now
            return True
