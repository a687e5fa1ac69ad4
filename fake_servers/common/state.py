"""What every fake's state shares: volatile stores with one `Expiration`, one lock, and
forgetting everything at once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from .clock import FakeClock
from .store import Expiration, VolatileStore


class FakeState:
    """The lock under which a fake's routes read and change its stores, and the stores, made
    with `store()` so that `clear()` empties them all."""

    def __init__(self, expiration: Expiration, clock: FakeClock | None = None):
        self.expiration = expiration
        # The fake's wall time: every time it prints or compares (tests advance it).
        self.clock = clock if clock is not None else FakeClock()
        self.lock = threading.RLock()
        self._stores: list[VolatileStore[Any]] = []
        # The checkout windows the stand-in browser SDK opened (`fake_servers.common.checkout`).
        self.checkout_windows: VolatileStore[Any] = self.store()

    def store(self) -> VolatileStore[Any]:
        store: VolatileStore[Any] = VolatileStore(self.expiration)
        self._stores.append(store)
        return store

    def clear(self) -> None:
        """Forget every record."""
        with self.lock:
            for store in self._stores:
                store.clear()


class WebhookState(FakeState):
    """The state of a fake that sends JSON webhooks: the last one sent and the last one its
    built-in receiver got, per record, and `deliver`, which each body is handed to once it is
    recorded as sent."""

    def __init__(
        self,
        expiration: Expiration,
        deliver: Callable[[dict[str, Any]], None],
        clock: FakeClock | None = None,
    ):
        super().__init__(expiration, clock)
        self.sent_webhooks: VolatileStore[dict[str, Any]] = self.store()
        self.received_webhooks: VolatileStore[dict[str, Any]] = self.store()
        self._deliver = deliver

    def send(self, key: str, body: dict[str, Any]) -> None:
        """Record `body` as the last webhook about `key` and hand it over for delivery.

        Call with the lock held, right after the change it reports, so that concurrent changes
        of one record are announced in the order they happened."""
        self.sent_webhooks.set(key, body)
        self._deliver(body)
