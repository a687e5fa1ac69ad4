"""Everything the fake remembers: volatile stores that share one expiration, and one lock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fake_servers.common.clock import FakeClock
from fake_servers.common.state import WebhookState
from fake_servers.common.store import Expiration, VolatileStore

from .records import Json


@dataclass
class Billing:
    """A registered card: the `ITossBilling` answered, and the registration input behind it.

    The input is kept because a billing payment needs the card number again.
    """

    record: Json
    card: Json


@dataclass
class CashReceipt:
    """An issued receipt and the payment it belongs to (never shown on the wire)."""

    record: Json
    payment_key: str


class TossState(WebhookState):
    """The fake's stores and the lock under which every route reads and changes them.

    One lock for all stores, because several operations touch two stores at once (a cash
    receipt changes its payment) and a payment's webhooks must leave in the order of its changes.
    `deliver` receives each webhook after it has been recorded as sent.
    """

    def __init__(
        self,
        expiration: Expiration,
        deliver: Callable[[Json], None],
        clock: FakeClock | None = None,
    ):
        # The webhooks sent and received (by /internal/webhook) are kept per payment.
        super().__init__(expiration, deliver, clock)
        self.payments: VolatileStore[Json] = self.store()
        self.billings: VolatileStore[Billing] = self.store()
        self.cash_receipts: VolatileStore[CashReceipt] = self.store()
        # Every approval, deposit and refund, by transactionKey (GET /v1/transactions).
        self.transactions: VolatileStore[Json] = self.store()
        # Most transactions one page of GET /v1/transactions holds (tests lower it).
        self.list_limit = 10000

    def emit(self, webhook: Json) -> None:
        """Record `webhook` as the payment's last one and hand it over for delivery (`send`)."""
        self.send(webhook["data"]["paymentKey"], webhook)
