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

from sqlalchemy import bindparam, delete, insert, select

from ..db import AuthFailure, Database


class FailureThrottle:
    def __init__(
        self, database: Database, limit: int, window_s: float, clock: Callable[[], datetime]
    ):
        self.database = database
        self.limit = limit
        self.window = timedelta(seconds=window_s)
        self._clock = clock
        # Built once: this read runs before every password check, so it costs no query building.
        # The limit-th most recent failure in the window: once it ages out, the client is under
        # the limit again. No such row means fewer than `limit` failures: not throttled.
        self._limit_th_failure = (
            select(AuthFailure.failed_at)
            .where(
                AuthFailure.client == bindparam("client"),
                AuthFailure.failed_at > bindparam("since", type_=AuthFailure.failed_at.type),
            )
            .order_by(AuthFailure.failed_at.desc())
            .offset(max(limit - 1, 0))
            .limit(1)
        )
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
        # Core, not the ORM session, and no transaction around one read (one round trip to
        # PostgreSQL instead of three): it runs before every password check.
        with self.database.engine.connect() as connection:
            oldest_counted = connection.execution_options(isolation_level="AUTOCOMMIT").scalar(
                self._limit_th_failure, {"client": client, "since": now - self.window}
            )
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
