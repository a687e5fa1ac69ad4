"""Subscriptions end to end: saved cards charged through the API and on schedules, against the
fakes of iamport, Toss and PortOne, on SQLite and PostgreSQL.

The package's backends run their housekeeper on a day-long interval, so that the schedules'
periods are charged only when a test runs the housekeeping itself, as of a time it chooses
(`backend.run_housekeeping(now=...)`).

The tests of what the SDK calls answer run through both clients, `PaymentClient` and
`AsyncPaymentClient` (`flavour`, as in tests/client); those of what the server does behind
them (`sync_only`) through the synchronous one."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from payment_service.db import PaymentHistory as StoredHistory
from payment_service.db import PaymentHistoryClaim, PaymentHistoryWebhook
from payment_service.testing import PaymentBackend, WebhookReceiver
from tests.e2e.conftest import IAMPORT_STORE, PASSWORD, TOSS_STORE, count, new_source
from tests.support.backends import ENVIRON, SharedBackends, backend, opened, receiver
from tests.support.clients import FLAVOURS, Flavour, connect

__all__ = ["backend", "receiver"]  # fixtures of this package

PORTONE_STORE = "test-portone-store"
STORES = {"iamport": IAMPORT_STORE, "toss.payments": TOSS_STORE, "portone": PORTONE_STORE}
VENDORS = list(STORES)
PRICE = Decimal(9900)
# Where each gateway's billing charge is sent (the answer a test loses on its way back).
CHARGE_PATHS = {
    "iamport": "/subscribe/payments/again",
    "toss.payments": "/v1/billing/",
    "portone": "/billing-key",
}


@pytest.fixture(scope="package")
def shared_backends(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedBackends]:
    yield from opened(tmp_path_factory, {**ENVIRON, "PAYMENT_HOUSEKEEPING_INTERVAL_S": "86400"})


# For a test of the server's side (gateway failures, housekeepers, bad input sent raw): the SDK
# only sets the scene, so one client does; the parameter replaces the `flavour` fixture's.
sync_only = pytest.mark.parametrize("flavour", ["sync"])


@pytest.fixture(params=FLAVOURS)
def flavour(request: pytest.FixtureRequest) -> Flavour:
    return request.param


@pytest.fixture
def client(backend: PaymentBackend, flavour: Flavour) -> Iterator[Any]:
    """A `PaymentClient`, or an `AsyncPaymentClient` behind the same synchronous calls."""
    with connect(flavour, backend.url, backend.key, backend.iv) as client:
        yield client


@dataclass
class Saved:
    """A card saved at a fake and registered as a reservation (with PASSWORD)."""

    backend: PaymentBackend
    client: Any  # of the test's flavour
    receiver: WebhookReceiver
    code: str
    id: str
    billing_key: str

    def charge(self, source: dict[str, str] | None = None, **changes):
        arguments = {
            "password": PASSWORD,
            "source": source or new_source(),
            "price": PRICE,
            "title": "monthly plan",
            "webhook_url": self.receiver.url,
            **changes,
        }
        return self.client.reservations.charge(self.id, **arguments)

    @property
    def charges_at_fake(self) -> int:
        """Charges of the card the fake was asked for, declined ones included."""
        return self.backend.customer.charges_of(self.code, self.billing_key)


def save_card(backend, client, receiver, code: str) -> Saved:
    customer = str(uuid.uuid4())
    billing_key = backend.customer.register_card(code, customer)
    source = {"schema": "shop", "table": "customers", "id": customer}
    reservation = client.reservations.create(
        vendor={"code": code, "store_id": STORES[code], "uid": billing_key},
        source=source,
        title="card on file",
        password=PASSWORD,
    )
    return Saved(backend, client, receiver, code, reservation.id, billing_key)


@pytest.fixture(params=VENDORS)
def saved(request, backend, client, receiver) -> Saved:
    return save_card(backend, client, receiver, request.param)


def nothing_charged(backend: PaymentBackend) -> bool:
    """No payment, claim or outgoing webhook is stored."""
    models = (StoredHistory, PaymentHistoryClaim, PaymentHistoryWebhook)
    return all(count(backend, model) == 0 for model in models)
