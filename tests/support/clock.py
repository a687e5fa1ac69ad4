"""A clock that tests move by hand, so that expiry is tested without sleeping."""

from __future__ import annotations

import threading


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
