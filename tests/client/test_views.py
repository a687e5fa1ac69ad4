"""Typed views of the gateway records: every shipped vendor has one (PortOne V2 included),
vendor codes are open, and a plugin's own view reads its records the same way."""

from __future__ import annotations

import uuid
from typing import Any, TypedDict

from payment_service_client import (
    IAMPORT_VIEW,
    PORTONE,
    PORTONE_VIEW,
    TOSS_VIEW,
    PaymentHistory,
    PaymentReservation,
    VendorView,
)

from payment_service.testing import PaymentBackend

from .samples import iamport_history, iamport_reservation
from .wire import IV, KEY

STORE = "test-portone-store"
PASSWORD = "a-long-random-record-password"


def source() -> dict[str, str]:
    return {"schema": "some-schema", "table": "some-table", "id": str(uuid.uuid4())}


def test_a_portone_history_and_reservation_read_typed_from_a_served_instance(
    backend: PaymentBackend, connect: Any
) -> None:
    order = source()
    uid = backend.customer.pay_portone_card(20000, f"payment-{uuid.uuid4()}", order["id"])
    customer = source()
    billing_key = backend.customer.register_portone_billing(customer["id"])
    vendor = {"code": PORTONE, "store_id": STORE}
    with connect(backend.url, KEY, IV) as client:
        history = client.histories.create(
            vendor={**vendor, "uid": uid},
            source=order,
            price=20000,
            password=PASSWORD,
            webhook_url="http://127.0.0.1:9/unused",
        )
        reservation = client.reservations.create(
            vendor={**vendor, "uid": billing_key},
            source=customer,
            title="monthly plan",
            password=PASSWORD,
        )

    payment = history.portone
    assert payment is not None and payment["id"] == uid
    assert payment["status"] == "PAID"
    assert payment["amount"]["total"] == 20000
    assert history.view(PORTONE_VIEW) == payment
    assert history.iamport is None and history.toss is None
    billing = reservation.portone
    assert billing is not None and billing["billingKey"] == billing_key
    assert billing["status"] == "ISSUED"
    assert reservation.iamport is None and reservation.toss is None


def test_the_shipped_views_answer_only_for_their_own_vendor() -> None:
    history = PaymentHistory.from_dict(iamport_history())
    assert history.view(IAMPORT_VIEW) == history.data
    assert history.view(TOSS_VIEW) is None and history.view(PORTONE_VIEW) is None
    reservation = PaymentReservation.from_dict(iamport_reservation())
    assert reservation.iamport == reservation.data and reservation.portone is None


class ExamplePayment(TypedDict, total=False):
    id: str
    cents: int


class ExampleCard(TypedDict, total=False):
    token: str


# What a third-party vendor plugin publishes for integrators (client/README.md).
EXAMPLE_VIEW = VendorView("example.pay", ExamplePayment, ExampleCard)


def test_an_unknown_vendor_code_parses_and_a_plugins_view_types_its_records() -> None:
    raw = iamport_history(
        vendor_code="example.pay",
        vendor={"code": "example.pay", "uid": "ex_1", "store_id": "s"},
        data={"id": "ex_1", "cents": 1999},
    )
    history = PaymentHistory.from_dict(raw)

    assert history.vendor_code == "example.pay"
    payment = history.view(EXAMPLE_VIEW)
    assert payment == {"id": "ex_1", "cents": 1999}
    assert history.iamport is None and history.portone is None
    assert PaymentHistory.from_dict(iamport_history()).view(EXAMPLE_VIEW) is None
