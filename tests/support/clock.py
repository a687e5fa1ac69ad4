"""Clocks that tests move by hand, so that expiry and backoff are tested without sleeping."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class SteppedClock:
    """A monotonic clock (seconds, like `time.monotonic`) that moves only on `advance`."""

    def __init__(self, start: float = 1_000.0):
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds


class SteppedDateClock:
    """A wall clock (aware `datetime`, like `Runtime.clock`) that moves only on `advance`."""

    def __init__(self, start: datetime | None = None):
        self._now = start or datetime.now(UTC)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += timedelta(seconds=seconds)
