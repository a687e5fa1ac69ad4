"""The wall clock of one fake: every time a fake prints or compares comes from it.

Tests move it forward with `advance()` instead of sleeping (a token expiring, a virtual account
passing its due date, records listed in creation order); a served fake runs on real time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta


class FakeClock:
    """Real time plus an offset that only grows. Never hands out the same millisecond twice
    through `unique()`, so records stamped one after another list in that order."""

    def __init__(self, source: Callable[[], float] = time.time):
        self._source = source
        self._offset = 0.0
        self._last_ms = 0
        self._lock = threading.Lock()

    def timestamp(self) -> float:
        """Seconds since the epoch at full precision (what records' lifetimes count in)."""
        return self._source() + self._offset

    def seconds(self) -> float:
        """Seconds since the epoch (JavaScript's `Date.now() / 1000`, with its precision)."""
        return self.ms() / 1000

    def ms(self) -> int:
        """Whole milliseconds since the epoch, like `Date.now()`."""
        return int(self.timestamp() * 1000)

    def now(self) -> datetime:
        """The current instant in UTC (a payment server's `Runtime.clock`)."""
        return datetime.fromtimestamp(self.timestamp(), UTC)

    def unique(self) -> datetime:
        """`now()`, but at least a millisecond after the previous `unique()`."""
        with self._lock:
            self._last_ms = max(self.ms(), self._last_ms + 1)
            return datetime.fromtimestamp(self._last_ms / 1000, UTC)

    def iso(self, moment: datetime | None = None) -> str:
        """RFC 3339 in UTC with milliseconds, as `Date.toISOString()` prints it."""
        moment = self.now() if moment is None else moment
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def advance(self, seconds: float) -> None:
        """Move this fake's time forward (never back: records keep their order)."""
        if seconds < 0:
            raise ValueError("a fake's clock only moves forward")
        with self._lock:
            self._offset += seconds

    def later(self, seconds: float) -> datetime:
        return self.now() + timedelta(seconds=seconds)
