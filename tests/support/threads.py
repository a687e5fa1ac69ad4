"""Calls made from several threads at once, for the tests of concurrent requests."""

from __future__ import annotations

import threading
from collections.abc import Callable


def on_threads(count: int, call: Callable[[], object]) -> None:
    """Run `call` on `count` threads started together; returns when all have finished."""
    threads = [threading.Thread(target=call) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
