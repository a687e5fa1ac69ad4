"""Calls made from several threads at once, for the tests of concurrent requests."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor


def on_threads(count: int, call: Callable[[], object]) -> None:
    """Run `call` on `count` threads at once; returns when all have finished, and raises the
    first exception any of them raised (a failing thread must fail the test)."""
    with ThreadPoolExecutor(count) as pool:
        futures = [pool.submit(call) for _ in range(count)]
    for future in futures:
        future.result()
