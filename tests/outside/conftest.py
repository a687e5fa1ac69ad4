"""A payment backend whose Toss gateway sits behind a stand-in that misbehaves on demand,
on SQLite and PostgreSQL, with a short gateway deadline (2 s)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from payment_service.client import PaymentClient
from payment_service.db import PaymentHistoryPendingRefund
from payment_service.testing import PaymentBackend
from payment_service.testing.fakes import vendor_options

from .peers import GatewayStandIn

PASSWORD = "the-owner's-password"
DEADLINE_S = 2.0
STORE = "test-toss-store"


def gateway_kind(method: str, path: str) -> str:
    if path.rstrip("/").endswith("/cancel"):
        return "cancel"
    if method == "GET" and path.startswith("/v1/payments/"):
        return "fetch"
    return "other"


@pytest.fixture
def gateway() -> Iterator[GatewayStandIn]:
    with GatewayStandIn(classify=gateway_kind) as gateway:
        yield gateway


def open_backend(database_url: str, gateway: GatewayStandIn, **environ: str) -> PaymentBackend:
    options = vendor_options({"iamport": "http://127.0.0.1:9/iamport-unused", "toss": gateway.url})
    settings = {
        "PAYMENT_VENDOR_TIMEOUT_S": str(DEADLINE_S),
        "PAYMENT_WEBHOOK_POLL_S": "0.2",
        "PAYMENT_WEBHOOK_RETRY_BASE_S": "0.2",
        "PAYMENT_VENDORS": json.dumps(options),
        **environ,
    }
    backend = PaymentBackend(database_url, environ=settings).open()
    gateway.upstream = backend.fakes.vendor_options()["toss.payments"]["base_url"]
    return backend


@pytest.fixture
def backend(database_url: str, gateway: GatewayStandIn) -> Iterator[PaymentBackend]:
    backend = open_backend(database_url, gateway)
    try:
        yield backend
    finally:
        gateway.mode = "pass"
        backend.close()


@dataclass
class Paid:
    source: dict[str, str]
    key: str
    id: str


def pay(backend: PaymentBackend, price: int = 20000) -> Paid:
    """A Toss card payment, approved and recorded (the gateway must be passing)."""
    order = str(uuid.uuid4())
    key = backend.customer.pay_toss_card(price, order)
    source = {"schema": "shop", "table": "orders", "id": order}
    with client_of(backend) as client:
        history = client.histories.create(
            vendor={"code": "toss.payments", "store_id": STORE, "uid": key},
            source=source,
            price=price,
            password=PASSWORD,
            webhook_url=backend.webhook_receiver().url,
        )
    return Paid(source, key, history.id)


def client_of(backend: PaymentBackend, timeout: float = 30.0) -> PaymentClient:
    # No SDK retries: these tests time single requests against the server's own deadlines.
    return PaymentClient(backend.url, backend.key, backend.iv, timeout=timeout, max_retries=0)


def refunded_at_gateway(backend: PaymentBackend, key: str) -> Decimal:
    """What the fake gateway itself says was refunded (the truth)."""
    base = backend.fakes.vendor_options()["toss.payments"]["base_url"]
    secret = backend.fakes.vendor_options()["toss.payments"]["default"]["secret_key"]
    payment = requests.get(f"{base}/v1/payments/{key}", auth=(secret, ""), timeout=10).json()
    return sum((Decimal(str(c["cancelAmount"])) for c in payment.get("cancels") or []), Decimal(0))


def pending_refunds(backend: PaymentBackend) -> int:
    with backend.runtime.database.reading() as session:
        return session.scalar(select(func.count()).select_from(PaymentHistoryPendingRefund)) or 0


def status_of(call: Any) -> int:
    """The HTTP status an SDK call ended with (200 when it succeeded)."""
    try:
        call()
    except Exception as error:
        status = getattr(error, "status", None)
        if status is None:
            raise
        return status
    return 200
