"""Counting failed password checks per client in a sliding window shared by all processes.

Every failure is one short INSERT into `payment_auth_failures`, committed on its own (never
inside the transaction that read the record). Before spending bcrypt on a client, a process
reads that client's failures of the last window; past the limit the client is refused until
enough of them have aged out. Old rows are purged by whichever process notices they are due.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select

from ..db import AuthFailure, Database


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

    def retry_after(self, client: str) -> int | None:
        """Seconds until `client` may try again, or None when it may try now."""
        if not self.enabled:
            return None
        now = self._clock()
        # The limit-th most recent failure in the window: once it ages out, the client is under
        # the limit again. No such row means fewer than `limit` failures: not throttled.
        query = (
            select(AuthFailure.failed_at)
            .where(AuthFailure.client == client, AuthFailure.failed_at > now - self.window)
            .order_by(AuthFailure.failed_at.desc())
            .offset(self.limit - 1)
            .limit(1)
        )
        with self.database.transaction() as session:
            oldest_counted = session.scalar(query)
        if oldest_counted is None:
            return None
        return max(1, math.ceil((oldest_counted + self.window - now).total_seconds()))

    def record(self, client: str, count: int = 1) -> None:
        """Count `count` failed checks by `client`, now."""
        if not self.enabled or count < 1:
            return
        now = self._clock()
        with self.database.transaction() as session:
            session.execute(insert(AuthFailure), [{"client": client, "failed_at": now}] * count)
            if self._purge_due(now):
                session.execute(
                    delete(AuthFailure).where(AuthFailure.failed_at <= now - self.window)
                )

    def _purge_due(self, now: datetime) -> bool:
        # At most once a window per process: rows older than a window never count again, and a
        # failure-free server has nothing to purge (its table stays as small as its last burst).
        with self._purge_lock:
            if self._purged_at is not None and now - self._purged_at < self.window:
                return False
            self._purged_at = now
            return True
