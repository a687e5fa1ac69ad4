"""Budgets of failed password checks in a sliding window shared by all processes.

A check that is about to run bcrypt first *reserves* itself: in one short write transaction it
locks its budgets (the client's, the record's; PostgreSQL: an advisory lock per budget,
SQLite: the database's write lock), counts each budget's rows of the last window, and, when
none is spent, inserts one row per budget under a fresh attempt id, marked as running. A right
password deletes that attempt's rows again; a wrong one keeps them as its failures. Since every
check in flight is counted before its bcrypt runs, no number of threads, workers or instances
gets more than `limit` wrong passwords checked per budget and window (a check whose process
dies midway stays counted, which errs on the safe side).

A budget that holds `limit` failures refuses the check (429) with the seconds until the oldest
of them ages out. A budget filled only with the help of checks still running refuses nothing
yet: the check waits (up to `in_flight_wait_s`) for those to answer, since right passwords
give their rows back — a service that sends more than `limit` first look-ups at once is served,
not refused, while guesses still stop at `limit`.

Old rows are purged by whichever process notices they are due.
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..db import Database
from ..db.queries import auth_failures
from ..errors import TooManyFailures

IN_FLIGHT_WAIT_S = 5.0
"""How long a check waits for running checks that fill a budget to answer, before 429."""
_FIRST_PAUSE_S, _LONGEST_PAUSE_S = 0.01, 0.1


@dataclass(frozen=True)
class Budget:
    """One thing whose failures are counted: `scope` names it (a client address or block,
    ``record:<id>``), `limit` is how many failures per window it may spend."""

    scope: str
    limit: int


class FailureThrottle:
    def __init__(
        self,
        database: Database,
        limit: int,
        window_s: float,
        clock: Callable[[], datetime],
        *,
        in_flight_wait_s: float = IN_FLIGHT_WAIT_S,
    ):
        self.database = database
        self.limit = limit
        self.window = timedelta(seconds=window_s)
        self.in_flight_wait_s = in_flight_wait_s
        self._clock = clock
        self._purged_at: datetime | None = None
        self._purge_lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.limit > 0

    def reserve(self, budgets: Sequence[Budget]) -> str | None:
        """Count one check against every budget before it runs: its attempt id (None when
        there is nothing to count), or `TooManyFailures` when a budget is spent — by
        failures at once, or by checks still running that have not answered within
        `in_flight_wait_s` (Retry-After 1 s: they are about to)."""
        budgets = [budget for budget in budgets if budget.limit > 0]
        if not self.enabled or not budgets:
            return None
        give_up = time.monotonic() + self.in_flight_wait_s
        pause = _FIRST_PAUSE_S
        while True:
            attempt = self._try_reserve(budgets)
            if attempt is not None:
                return attempt
            remaining = give_up - time.monotonic()
            if remaining <= 0:
                raise TooManyFailures(1)
            time.sleep(min(pause, remaining))
            pause = min(pause * 2, _LONGEST_PAUSE_S)

    def _try_reserve(self, budgets: Sequence[Budget]) -> str | None:
        """One look at the budgets: the attempt id when it was counted, None when checks
        still running fill a budget, `TooManyFailures` when failures do."""
        now = self._clock()
        since = now - self.window
        with self.database.transaction() as session:
            auth_failures.lock(session, sorted(budget.scope for budget in budgets))
            waits = []
            busy = False
            for budget in budgets:
                counted = auth_failures.recent(session, budget.scope, since, budget.limit)
                failures = [at for at, pending in counted if not pending]
                if len(failures) >= budget.limit:
                    waits.append((failures[-1] + self.window - now).total_seconds())
                elif len(counted) >= budget.limit:
                    busy = True
            if waits:
                raise TooManyFailures(max(1, math.ceil(max(waits))))
            if busy:
                return None
            attempt = str(uuid.uuid4())
            auth_failures.add(session, [budget.scope for budget in budgets], now, attempt)
            if self._purge_due(now):
                auth_failures.purge(session, since)
        return attempt

    def settle(self, attempt: str | None, *, failed: bool) -> None:
        """The reserved check ended: a failure stays counted, a success is uncounted."""
        if attempt is None:
            return
        with self.database.transaction() as session:
            if failed:
                auth_failures.fail(session, attempt)
            else:
                auth_failures.release(session, attempt)

    def _purge_due(self, now: datetime) -> bool:
        # At most once a window per process: rows older than a window never count again, and a
        # failure-free server has nothing to purge (its table stays as small as its last burst).
        with self._purge_lock:
            if self._purged_at is not None and now - self._purged_at < self.window:
                return False
            self._purged_at = now
            return True
