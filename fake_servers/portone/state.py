"""Everything the fake remembers, under one lock: payments, billing keys and webhooks."""

from __future__ import annotations

from collections.abc import Callable

from fake_servers.common.clock import FakeClock
from fake_servers.common.state import WebhookState
from fake_servers.common.store import Expiration, VolatileStore

from .errors import billing_key_not_found, payment_not_found
from .records import Json, stamp


class PortOneState(WebhookState):
    """The stores and the lock every route holds while it reads or changes them.

    `deliver(body)` receives each webhook body right after the change it reports, with the lock
    held, so one payment's webhooks leave in the order of its changes.
    """

    def __init__(
        self,
        expiration: Expiration,
        deliver: Callable[[Json], None],
        clock: FakeClock | None = None,
    ):
        # The webhooks sent and received are kept per payment or billing key.
        super().__init__(expiration, deliver, clock)
        self.payments: VolatileStore[Json] = self.store()
        self.billing_keys: VolatileStore[Json] = self.store()

    def payment(self, payment_id: str, store_id: str | None = None) -> Json:
        """The stored payment, PAYMENT_NOT_FOUND when absent or of another store."""
        found = self.payments.find(payment_id)
        if found is None or (store_id is not None and found["storeId"] != store_id):
            raise payment_not_found(payment_id)
        return found

    def billing_key(self, billing_key: str, store_id: str | None = None) -> Json:
        found = self.billing_keys.find(billing_key)
        if found is None or (store_id is not None and found["storeId"] != store_id):
            raise billing_key_not_found(billing_key)
        return found

    def emit(self, type: str, data: Json, *, skip: bool = False) -> None:
        """Announce an event (`Transaction.Paid`, `BillingKey.Issued`, ...) unless `skip`."""
        if skip:
            return
        body = {"type": type, "timestamp": stamp(self.clock), "data": data}
        self.send(data.get("paymentId") or data.get("billingKey"), body)
