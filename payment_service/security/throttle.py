"""Budgets of failed password checks in a sliding window shared by all processes.

A check that is about to run bcrypt first *reserves* itself: in one short write transaction it
locks its budgets (the client's, the record's; PostgreSQL: an advisory lock per budget,
SQLite: the database's write lock), counts each budget's rows of the last window, and, when
none is spent, inserts one row per budget under a fresh attempt id. A right password deletes
that attempt's rows again; a wrong one leaves them as its failures. Since every check in
flight is counted before its bcrypt runs, no number of threads, workers or instances gets more
than `limit` wrong passwords checked per budget and window (a check whose process dies midway
stays counted, which errs on the safe side). Past the limit the check is refused (429) with
the seconds until the oldest counted row ages out.

Old rows are purged by whichever process notices they are due.
"""

from __future__ import annotations

import math
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..db import Database
from ..db.queries import auth_failures
from ..errors import TooManyFailures


@dataclass(frozen=True)
class Budget:
    """One thing whose failures are counted: `scope` names it (a client address or block,
    ``record:<id>``), `limit` is how many failures per window it may spend."""

    scope: str
    limit: int


class FailureThrottle:
    def __init__(
        self, database: Database, limit: int, window_s: float, clock: Callable[[], datetime]
    ):
        self.database = database
        self.limit = limit
        self.window = timedelta(seconds=window_s)
        self._clock = clock
        self._purged_at: datetime | None = None
        self._purge_lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.limit > 0

    def reserve(self, budgets: Sequence[Budget]) -> str | None:
        """Count one check against every budget before it runs: its attempt id (None when
        there is nothing to count), or `TooManyFailures` when a budget is spent."""
        budgets = [budget for budget in budgets if budget.limit > 0]
        if not self.enabled or not budgets:
            return None
        now = self._clock()
        since = now - self.window
        attempt = str(uuid.uuid4())
        with self.database.transaction() as session:
            auth_failures.lock(session, sorted(budget.scope for budget in budgets))
            waits = []
            for budget in budgets:
                recent = auth_failures.recent(session, budget.scope, since, budget.limit)
                if len(recent) >= budget.limit:
                    waits.append((recent[-1] + self.window - now).total_seconds())
            if waits:
                raise TooManyFailures(max(1, math.ceil(max(waits))))
            auth_failures.add(session, [budget.scope for budget in budgets], now, attempt)
            if self._purge_due(now):
                auth_failures.purge(session, since)
        return attempt

    def settle(self, attempt: str | None, *, failed: bool) -> None:
        """The reserved check ended: a failure stays counted, a success is uncounted."""
        if attempt is None or failed:
            return
        with self.database.transaction() as session:
            auth_failures.release(session, attempt)

    def _purge_due(self, now: datetime) -> bool:
        # At most once a window per process: rows older than a window never count again, and a
        # failure-free server has nothing to purge (its table stays as small as its last burst).
        with self._purge_lock:
            if self._purged_at is not None and now - self._purged_at < self.window:
                return False
            self._purged_at = now
            return True
