"""Everything one fake iamport remembers, and the lock that keeps it consistent."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from fake_servers.common.store import Expiration, VolatileStore
from fake_servers.common.webhooks import WebhookSender

from .records import Certification, Payment, Receipt, Subscription, User, Webhook


class Record(Protocol):
    def to_json(self) -> dict[str, Any]: ...


class State:
    """The six volatile collections of the original fake, sharing one `Expiration`.

    Operations that read a record, decide, and change it (a cancel checks the refundable amount
    before adding to it) hold `lock` throughout, so concurrent requests cannot interleave.
    """

    def __init__(
        self,
        expiration: Expiration,
        credentials: Mapping[str, str],
        webhook_url: Callable[[], str],
    ):
        self.expiration = expiration
        self.credentials = dict(credentials)
        self.default_webhook_url = webhook_url
        self.lock = threading.RLock()
        self.users: VolatileStore[User] = VolatileStore(expiration)
        self.payments: VolatileStore[Payment] = VolatileStore(expiration)
        self.subscriptions: VolatileStore[Subscription] = VolatileStore(expiration)
        self.certifications: VolatileStore[Certification] = VolatileStore(expiration)
        self.receipts: VolatileStore[Receipt] = VolatileStore(expiration)
        # Every webhook of a payment, oldest first, keyed by imp_uid.
        self.webhooks: VolatileStore[list[Webhook]] = VolatileStore(expiration)
        self.sender = WebhookSender()
        # Most payments one page of `GET /payments/status/...` holds (tests lower it).
        self.list_limit = 100

    def snapshot(self, record: Record) -> dict[str, Any]:
        """The record's JSON, taken while no operation is halfway through changing it."""
        with self.lock:
            return record.to_json()

    def reset(self) -> None:
        with self.lock:
            for collection in (
                self.users,
                self.payments,
                self.subscriptions,
                self.certifications,
                self.receipts,
                self.webhooks,
            ):
                collection.clear()
