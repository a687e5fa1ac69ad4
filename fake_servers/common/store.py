"""Thread-safe in-memory collections that forget their entries, as the original fakes do."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from .http import HttpError

V = TypeVar("V")


@dataclass
class Expiration:
    """Lifetime (seconds since insertion) and capacity shared by the stores of one fake.

    Mutable at run time: tests shorten the lifetime, shrink the capacity or swap the clock in
    place (to advance time instead of sleeping), and every store holding this object sees the
    change at its next insert.
    """

    seconds: float = 180.0
    capacity: int = 1000
    clock: Callable[[], float] = field(default=time.monotonic)


class VolatileStore(Generic[V]):
    """A dict whose entries expire and whose size is capped.

    Eviction is lazy and happens only when something is inserted, never on read: a record stays
    readable after its lifetime until the next insert into the same store (the original fakes'
    tests rely on that). Lifetime counts from the first insertion of a key; updating a stored
    object in place does not renew it.
    """

    def __init__(self, expiration: Expiration):
        self.expiration = expiration
        self._lock = threading.RLock()
        self._items: dict[str, tuple[float, V]] = {}

    def set(self, key: str, value: V) -> V:
        with self._lock:
            now = self.expiration.clock()
            limit = now - self.expiration.seconds
            for stale in [k for k, (born, _) in self._items.items() if born <= limit]:
                del self._items[stale]
            if key in self._items:
                born = self._items[key][0]
            else:
                # Dicts keep insertion order, so the first key is the oldest.
                while len(self._items) >= max(self.expiration.capacity, 1):
                    del self._items[next(iter(self._items))]
                born = now
            self._items[key] = (born, value)
            return value

    def get(self, key: str) -> V:
        """Return the value or raise the original's 404 for an unknown key."""
        with self._lock:
            try:
                return self._items[key][1]
            except KeyError:
                raise not_found(key) from None

    def find(self, key: str) -> V | None:
        with self._lock:
            item = self._items.get(key)
            return None if item is None else item[1]

    def pop(self, key: str) -> V:
        with self._lock:
            try:
                return self._items.pop(key)[1]
            except KeyError:
                raise not_found(key) from None

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._items

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def values(self) -> Iterator[V]:
        with self._lock:
            return iter([value for _, value in self._items.values()])

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    @property
    def lock(self) -> threading.RLock:
        """Hold this while mutating a stored object in place, so readers see whole updates."""
        return self._lock


def not_found(key: str) -> HttpError:
    return HttpError(404, f"Error on std.HashMap.get(): unable to find the matched key -> {key}")
