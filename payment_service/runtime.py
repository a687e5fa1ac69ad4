"""What one running server holds: its settings, database, vendors and webhook outbox.

Plain objects with no Flask in them, so `payments/` and the CLI use them directly; the Flask
app keeps one in `app.extensions["payment_service"]`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property

from .db import Database
from .payments.idempotency import Keys as IdempotencyKeys
from .security.passwords import PasswordGuard
from .settings import Settings
from .vendors import VendorRegistry


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    settings: Settings
    database: Database
    vendors: VendorRegistry
    clock: Callable[[], datetime] = utcnow
    started_at: datetime = field(default_factory=utcnow)
    process_uid: str = field(default_factory=lambda: str(uuid.uuid4()))
    outbox_written: Callable[[], None] = lambda: None
    """Called after a transaction that wrote outbox rows commits (wakes the dispatcher)."""
    closers: list[Callable[[], None]] = field(default_factory=list)

    @cached_property
    def idempotency(self) -> IdempotencyKeys:
        settings = self.settings
        # A key's lease outlives the longest request: a few gateway calls, each bounded by
        # the vendor timeout. A crashed holder's key is free again once the lease runs out.
        lease = max(60.0, 6 * settings.vendor_timeout_s)
        return IdempotencyKeys(
            self.database,
            settings.keys.idempotency,
            settings.fingerprint_secret,
            ttl=timedelta(seconds=settings.idempotency_ttl_s),
            lease=timedelta(seconds=lease),
        )

    @cached_property
    def passwords(self) -> PasswordGuard:
        """The verified-credential cache and failure throttle (reads `clock` at each use)."""
        return PasswordGuard(self.settings, self.database, lambda: self.clock())

    def close(self) -> None:
        """Stop background work and release connections (tests, embedded servers)."""
        while self.closers:
            self.closers.pop()()
        self.database.dispose()
