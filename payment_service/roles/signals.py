"""How a role's process learns that it must stop."""

from __future__ import annotations

import signal
import threading


def stop_event() -> threading.Event:
    """An event set by the first SIGINT or SIGTERM (installed in the main thread)."""
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    return stopped
