"""End-to-end fixtures: the payment server and the fakes on free ports, a real HTTP webhook
receiver, and the SDK — on SQLite and on PostgreSQL (one shared backend per database, emptied
before each test: tests/support/backends.py)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from payment_service.client import PaymentClient, PaymentHistory, PaymentWebhook
from payment_service.testing import PaymentBackend, WebhookReceiver
from tests.support.backends import backend, client, receiver, shared_backends

__all__ = ["backend", "client", "receiver", "shared_backends"]  # fixtures of this package

PASSWORD = "some-password"
IAMPORT_STORE = "test-iamport-create-id"
TOSS_STORE = "test-toss-payments-create-id"
IAMPORT_ACCOUNT = {
    "bank": "신한은행",
    "account": "110-123-456789",
    "holder": "홍길동",
    "mobile": "010-1234-5678",
}
TOSS_ACCOUNT = {
    "bank": "신한은행",
    "account": "110123456789",
    "holder": "홍길동",
    "mobile": "01012345678",
}


def new_source() -> dict[str, str]:
    return {"schema": "some-schema", "table": "some-table", "id": str(uuid.uuid4())}


@dataclass
class Flow:
    """One order paid through one gateway: what the scenarios of docs/payment-api.md §6 share."""

    backend: PaymentBackend
    client: PaymentClient
    receiver: WebhookReceiver
    code: str
    store_id: str
    price: Decimal
    source: dict[str, str]
    uid: str = ""
    account: dict[str, str] | None = None

    def create(self, **overrides: Any) -> PaymentHistory:
        arguments: dict[str, Any] = {
            "vendor": {"code": self.code, "store_id": self.store_id, "uid": self.uid},
            "source": self.source,
            "price": self.price,
            "password": PASSWORD,
            "webhook_url": self.receiver.url,
        }
        arguments.update(overrides)
        return self.client.histories.create(**arguments)

    def reload(self) -> PaymentHistory:
        return self.client.histories.get(source=self.source, password=PASSWORD)

    def cancel(self, price: Decimal | int, reason: str = "some-reason") -> PaymentHistory:
        return self.client.histories.cancel(
            source=self.source,
            password=PASSWORD,
            price=price,
            reason=reason,
            account=self.account,
        )

    def webhook_with(self, history_id: str, refund: Decimal | None = None, paid: bool = False):
        """Wait for the webhook whose `current` shows this refund (or payment)."""

        def matches(webhook: PaymentWebhook) -> bool:
            current = webhook.current
            if current.id != history_id:
                return False
            if paid:
                return current.paid_at is not None
            return current.refund == refund

        return self.receiver.wait_for(matches, timeout=10)
