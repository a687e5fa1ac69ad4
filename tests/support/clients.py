"""Both SDK clients behind one synchronous face, so that every client test scenario runs
through `PaymentClient` and through `AsyncPaymentClient` alike.

`Blocking` drives an `AsyncPaymentClient` from synchronous test code: each call runs to
completion on the adapter's own event loop (one loop per client, as an asyncio service has),
and returns or raises exactly what the coroutine returned or raised. The loop runs on a thread
of its own, because the calling thread may already run one (Playwright's synchronous API keeps
a loop running in the test thread for the whole session of a worker that drove a browser).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

from payment_service_client import AsyncPaymentClient, PaymentClient

Flavour = Literal["sync", "async"]
FLAVOURS: tuple[Flavour, ...] = ("sync", "async")


class _LoopThread:
    """An event loop running on a daemon thread; `run` waits for a coroutine on it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()


class _BlockingGroup:
    def __init__(self, runner: _LoopThread, group: object):
        self._runner = runner
        self._group = group

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self._group, name)
        return lambda *args, **kwargs: self._runner.run(method(*args, **kwargs))


class Blocking:
    """An `AsyncPaymentClient` with `PaymentClient`'s synchronous calls."""

    def __init__(self, host: str, key: str, iv: str, **options: Any):
        self._runner = _LoopThread()
        self.client = AsyncPaymentClient(host, key, iv, **options)
        self.connection = self.client.connection
        self.histories = _BlockingGroup(self._runner, self.client.histories)
        self.reservations = _BlockingGroup(self._runner, self.client.reservations)
        self.schedules = _BlockingGroup(self._runner, self.client.schedules)
        self.monitors = _BlockingGroup(self._runner, self.client.monitors)

    @property
    def host(self) -> str:
        return self.client.host

    def close(self) -> None:
        self._runner.run(self.client.aclose())
        self._runner.close()

    def __repr__(self) -> str:
        return repr(self.client)

    def __enter__(self) -> Blocking:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def connect(flavour: Flavour, host: str, key: str, iv: str, **options: Any) -> Any:
    """A client of `flavour` (a `PaymentClient`, or a `Blocking` async one)."""
    if flavour == "sync":
        return PaymentClient(host, key, iv, **options)
    return Blocking(host, key, iv, **options)


def run_coroutine(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """`asyncio.run(coroutine)` on a loop of its own thread (see the module's note)."""
    runner = _LoopThread()
    try:
        return runner.run(coroutine)
    finally:
        runner.close()


def on_a_thread_of_its_own(function: Callable[[], Any]) -> Any:
    """`function()` on a new thread, where no event loop runs yet (see the module's note)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(function).result()
