"""End-to-end fixtures: the payment server and the fakes on free ports, a real HTTP webhook
receiver, and the SDK — on SQLite and on PostgreSQL (one shared backend per database, emptied
before each test: tests/support/backends.py)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import requests
from sqlalchemy import func, select

from payment_service.client import PaymentClient, PaymentHistory, PaymentWebhook
from payment_service.crypto import Cipher
from payment_service.db import PaymentHistory as StoredHistory
from payment_service.db import (
    PaymentHistoryCancel,
    PaymentHistoryClaim,
    PaymentHistoryWebhook,
    PaymentReservation,
)
from payment_service.testing import PaymentBackend, WebhookReceiver
from tests.support.backends import backend, client, receiver, shared_backends
from tests.support.payments import register as registered

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


def count(backend: PaymentBackend, model: Any, *where: Any) -> int:
    with backend.runtime.database.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)))


def nothing_written(backend: PaymentBackend) -> bool:
    """No payment, claim, refund, saved card or outgoing webhook is stored."""
    models = (
        StoredHistory,
        PaymentHistoryClaim,
        PaymentHistoryCancel,
        PaymentReservation,
        PaymentHistoryWebhook,
    )
    return all(count(backend, model) == 0 for model in models)


def send_text(
    backend: PaymentBackend,
    method: str,
    path: str,
    body: str,
    content_type: str = "text/plain",
) -> requests.Response:
    """`body` exactly as given (already encrypted, or deliberately not), past the SDK."""
    headers = {"Content-Type": content_type}
    return requests.request(method, backend.url + path, data=body, headers=headers, timeout=30)


def send_encrypted(backend: PaymentBackend, method: str, path: str, text: str) -> requests.Response:
    """`text` encrypted with the connection key, past the SDK (so it may be any JSON)."""
    return send_text(backend, method, path, Cipher(backend.key, backend.iv).encrypt(text))


def create_body(uid: str, source: dict, **changes: Any) -> dict:
    """The JSON of a Toss registration; `changes` set fields by path (`source__schema=...`)."""
    body = {
        "vendor": {"code": "toss.payments", "store_id": TOSS_STORE, "uid": uid},
        "source": source,
        "price": 20000,
        "password": PASSWORD,
        "webhook_url": "http://127.0.0.1:9/webhook",
    }
    for dotted, value in changes.items():
        target = body
        *parents, leaf = dotted.split("__")
        for parent in parents:
            target = target[parent]
        target[leaf] = value
    return body


def toss_create(
    client: PaymentClient, receiver: WebhookReceiver, uid: str, source: dict, price: int = 20000
) -> PaymentHistory:
    return register(client, receiver, "toss.payments", TOSS_STORE, uid, source, price)


def iamport_create(
    client: PaymentClient, receiver: WebhookReceiver, uid: str, source: dict, price: int = 20000
) -> PaymentHistory:
    return register(client, receiver, "iamport", IAMPORT_STORE, uid, source, price)


def register(
    client: PaymentClient,
    receiver: WebhookReceiver,
    code: str,
    store_id: str,
    uid: str,
    source: dict,
    price: int,
) -> PaymentHistory:
    """A payment made at the gateway, registered through the SDK with PASSWORD."""
    vendor = (code, store_id, uid)
    return registered(
        client, vendor, source, password=PASSWORD, webhook_url=receiver.url, price=price
    )


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
