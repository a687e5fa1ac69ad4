"""Everything one fake iamport remembers, and the lock that keeps it consistent."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from fake_servers.common.clock import FakeClock
from fake_servers.common.state import FakeState
from fake_servers.common.store import Expiration, VolatileStore
from fake_servers.common.webhooks import WebhookSender

from .records import Certification, Payment, Receipt, Subscription, User, Webhook


class Record(Protocol):
    def to_json(self) -> dict[str, Any]: ...


class State(FakeState):
    """The six volatile collections of the original fake, sharing one `Expiration`.

    Operations that read a record, decide, and change it (a cancel checks the refundable amount
    before adding to it) hold `lock` throughout, so concurrent requests cannot interleave.
    """

    def __init__(
        self,
        expiration: Expiration,
        credentials: Mapping[str, str],
        webhook_url: Callable[[], str],
        clock: FakeClock | None = None,
    ):
        super().__init__(expiration, clock)
        self.credentials = dict(credentials)
        self.default_webhook_url = webhook_url
        self.users: VolatileStore[User] = self.store()
        self.payments: VolatileStore[Payment] = self.store()
        self.subscriptions: VolatileStore[Subscription] = self.store()
        self.certifications: VolatileStore[Certification] = self.store()
        self.receipts: VolatileStore[Receipt] = self.store()
        # Every webhook of a payment, oldest first, keyed by imp_uid.
        self.webhooks: VolatileStore[list[Webhook]] = self.store()
        self.sender = WebhookSender()
        # Most payments one page of `GET /payments/status/...` holds (tests lower it).
        self.list_limit = 100

    def snapshot(self, record: Record) -> dict[str, Any]:
        """The record's JSON, taken while no operation is halfway through changing it."""
        with self.lock:
            return record.to_json()
