"""What every fake's state shares: volatile stores with one `Expiration`, one lock, and
forgetting everything at once."""

from __future__ import annotations

import threading
from typing import Any

from .store import Expiration, VolatileStore


class FakeState:
    """The lock under which a fake's routes read and change its stores, and the stores, made
    with `store()` so that `clear()` empties them all."""

    def __init__(self, expiration: Expiration):
        self.expiration = expiration
        self.lock = threading.RLock()
        self._stores: list[VolatileStore[Any]] = []

    def store(self) -> VolatileStore[Any]:
        store: VolatileStore[Any] = VolatileStore(self.expiration)
        self._stores.append(store)
        return store

    def clear(self) -> None:
        """Forget every record."""
        with self.lock:
            for store in self._stores:
                store.clear()
