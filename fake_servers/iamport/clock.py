"""Time as iamport prints it: Unix seconds with a millisecond fraction, from `Date.now()`."""

from __future__ import annotations

import time


def now_ms() -> int:
    """Whole milliseconds since the epoch, like `Date.now()`."""
    return time.time_ns() // 1_000_000


def now_seconds() -> float:
    """Seconds since the epoch with a millisecond fraction (`Date.now() / 1000`)."""
    return now_ms() / 1000
