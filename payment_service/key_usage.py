"""How often each key generation decrypted something, so operators see when an old key is idle.

Counters live in this process (one per keyring and generation: `("connection", "previous-1")`);
`counts()` reads them and `add_listener` lets a metrics exporter mirror them (it is called once
per decryption with the keyring and generation names). A previous generation in use is also
logged, at most once a minute per generation, so a rotation can be followed in the logs alone.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

logger = logging.getLogger("payment_service.keys")

LOG_INTERVAL_S = 60.0

Listener = Callable[[str, str], None]

_lock = threading.Lock()
_counts: dict[tuple[str, str], int] = {}
_logged_at: dict[tuple[str, str], float] = {}
_listeners: list[Listener] = []


def record(keyring: str, generation: str, key_id: str) -> None:
    """Count one decryption by `generation` ("current", "previous-N") of `keyring`."""
    label = (keyring, generation)
    now = time.monotonic()
    with _lock:
        total = _counts[label] = _counts.get(label, 0) + 1
        due = generation != "current" and now - _logged_at.get(label, -LOG_INTERVAL_S) >= (
            LOG_INTERVAL_S
        )
        if due:
            _logged_at[label] = now
        listeners = list(_listeners)
    if due:
        logger.warning(
            "%s key %s (id %s) is still in use: %d decryption(s) by this process so far",
            keyring,
            generation,
            key_id,
            total,
        )
    for listener in listeners:
        listener(keyring, generation)


def counts() -> dict[tuple[str, str], int]:
    """Decryptions per (keyring, generation) since this process started."""
    with _lock:
        return dict(_counts)


def add_listener(listener: Listener) -> None:
    """Call `listener(keyring, generation)` after every counted decryption."""
    with _lock:
        _listeners.append(listener)


def remove_listener(listener: Listener) -> None:
    with _lock:
        if listener in _listeners:
            _listeners.remove(listener)
