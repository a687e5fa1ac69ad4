"""Every behaviour scenario of docs/payment-api.md §6, for iamport and for Toss Payments, over
HTTP with encrypted bodies, with a real webhook receiver."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from payment_service.db import PaymentHistoryCancel

from .conftest import (
    IAMPORT_ACCOUNT,
    IAMPORT_STORE,
    PASSWORD,
    TOSS_ACCOUNT,
    TOSS_STORE,
    Flow,
    count,
    new_source,
)


def card_flow(backend, client, receiver, code: str) -> Flow:
    source = new_source()
    if code == "iamport":
        flow = Flow(backend, client, receiver, code, IAMPORT_STORE, Decimal(20000), source)
        flow.uid = backend.customer.pay_iamport_card(20000, source["id"])
    else:
        flow = Flow(backend, client, receiver, code, TOSS_STORE, Decimal(20000), source)
        flow.uid = backend.customer.pay_toss_card(20000, source["id"])
    return flow


def vbank_flow(backend, client, receiver, code: str) -> Flow:
    source = new_source()
    if code == "iamport":
        flow = Flow(backend, client, receiver, code, IAMPORT_STORE, Decimal(19900), source)
        flow.uid = backend.customer.issue_iamport_vbank(19900, source["id"])
        flow.account = IAMPORT_ACCOUNT
    else:
        flow = Flow(backend, client, receiver, code, TOSS_STORE, Decimal(19900), source)
        flow.uid = backend.customer.issue_toss_virtual_account(19900, source["id"])
        flow.account = TOSS_ACCOUNT
    return flow


def deposit(flow: Flow) -> None:
    if flow.code == "iamport":
        flow.backend.customer.deposit_iamport_vbank(flow.uid)
    else:
        flow.backend.customer.deposit_toss_virtual_account(flow.uid)


VENDORS = ["iamport", "toss.payments"]


def assert_well_formed(history, flow: Flow) -> None:
    assert history.vendor_code == flow.code
    assert (history.vendor.code, history.vendor.uid, history.vendor.store_id) == (
        flow.code,
        flow.uid,
        flow.store_id,
    )
    assert (history.source.schema, history.source.table, history.source.id) == (
        flow.source["schema"],
        flow.source["table"],
        flow.source["id"],
    )
    assert history.currency == "KRW"
    assert history.price == flow.price
    assert history.webhook_url == flow.receiver.url
    assert history.created_at.tzinfo is not None
    assert list(history.raw) == [
        "id",
        "vendor_code",
        "vendor",
        "source",
        "cancels",
        "currency",
        "price",
        "refund",
        "data",
        "webhook_url",
        "created_at",
        "paid_at",
        "cancelled_at",
    ]
    uid_key = "imp_uid" if flow.code == "iamport" else "paymentKey"
    assert history.data[uid_key] == flow.uid


@pytest.mark.parametrize("code", VENDORS)
def test_card_payment(backend, client, receiver, code):
    flow = card_flow(backend, client, receiver, code)
    created = flow.create()
    assert_well_formed(created, flow)
    assert created.paid_at is not None
    assert created.cancels == () and created.refund is None and created.cancelled_at is None
    if code == "toss.payments":
        assert created.data["status"] == "DONE"  # the server approved it
    by_id = client.histories.at(created.id, password=PASSWORD)
    by_source = flow.reload()
    assert by_id.raw == created.raw == by_source.raw


def test_a_payment_partly_refunded_before_it_is_registered_records_that_refund(
    backend, client, receiver
):
    """The gateway lists a refund at approval (refunded in its console meanwhile): the payment
    is recorded with it, in the same transaction, and only the rest can be refunded."""
    flow = card_flow(backend, client, receiver, "iamport")
    backend.fakes.iamport.cancel(flow.uid, 5000, reason="refunded in the console")
    created = flow.create()
    assert created.refund == Decimal(5000) and created.cancelled_at is not None
    assert [(c["price"], c["reason"]) for c in created.raw["cancels"]] == [
        (5000, "refunded in the console")
    ]
    assert (
        count(backend, PaymentHistoryCancel, PaymentHistoryCancel.payment_history_id == created.id)
        == 1
    )
    assert flow.reload().raw == created.raw
    assert flow.cancel(Decimal(15000)).refund == Decimal(20000)
    with pytest.raises(Exception) as over:
        flow.cancel(1)
    assert getattr(over.value, "status", None) == 422


def validate_cancel(flow: Flow, history) -> None:
    """docs/payment-api.md §6 `validate_payment_cancel`: one full refund, seen by response,
    webhook, reload."""
    assert history.cancelled_at is None and history.cancels == () and history.refund is None
    cancelled = flow.cancel(history.price)
    webhook = flow.webhook_with(history.id, refund=history.price)
    reloaded = flow.client.histories.at(history.id, password=PASSWORD)
    for current in (cancelled.raw, webhook.current.raw, reloaded.raw):
        assert current["cancelled_at"] is not None
        assert len(current["cancels"]) == 1
        assert Decimal(str(current["cancels"][0]["price"])) == history.price
        assert Decimal(str(current["refund"])) == history.price
        assert current["cancels"][0]["time"] == current["cancels"][0]["created_at"]
    assert webhook.previous.refund is None
    assert webhook.raw["source"] == flow.source


def validate_cancel_partial(flow: Flow, history) -> None:
    """docs/payment-api.md §6 `validate_payment_cancel_partial`: five refunds of a fifth each."""
    assert history.cancels == () and history.refund is None
    part = history.price / 5
    first_cancel_time = None
    for n in range(1, 6):
        cancelled = flow.cancel(part)
        webhook = flow.webhook_with(history.id, refund=part * n)
        for current in (cancelled.raw, webhook.current.raw):
            assert current["cancelled_at"] is not None
            assert len(current["cancels"]) == n
            assert sum(Decimal(str(c["price"])) for c in current["cancels"]) == part * n
            assert Decimal(str(current["refund"])) == part * n
        first_cancel_time = first_cancel_time or cancelled.raw["cancelled_at"]
        # The time of the first refund, not of the latest synchronization.
        assert cancelled.raw["cancelled_at"] == first_cancel_time
    final = flow.reload()
    assert final.refund == history.price
    with pytest.raises(Exception) as over:
        flow.cancel(1)
    assert getattr(over.value, "status", None) == 422


@pytest.mark.parametrize("code", VENDORS)
def test_card_payment_cancel(backend, client, receiver, code):
    flow = card_flow(backend, client, receiver, code)
    validate_cancel(flow, flow.create())


@pytest.mark.parametrize("code", VENDORS)
def test_card_payment_cancel_partial(backend, client, receiver, code):
    flow = card_flow(backend, client, receiver, code)
    validate_cancel_partial(flow, flow.create())


@pytest.mark.parametrize("code", VENDORS)
def test_vbank_payment_deposit_sends_a_webhook(backend, client, receiver, code):
    flow = vbank_flow(backend, client, receiver, code)
    created = flow.create()
    assert_well_formed(created, flow)
    assert created.paid_at is None
    deposit(flow)
    webhook = flow.webhook_with(created.id, paid=True)
    assert webhook.current.id == created.id
    assert webhook.previous.paid_at is None
    assert webhook.current.paid_at is not None
    assert flow.reload().paid_at is not None


@pytest.mark.parametrize(
    "validate", [validate_cancel, validate_cancel_partial], ids=["whole", "partial"]
)
@pytest.mark.parametrize("code", VENDORS)
def test_vbank_payment_cancel(backend, client, receiver, code, validate):
    """A deposited virtual account refunded whole, or in parts."""
    flow = vbank_flow(backend, client, receiver, code)
    created = flow.create()
    deposit(flow)
    flow.webhook_with(created.id, paid=True)
    validate(flow, flow.reload())


def test_iamport_subscription_reservation(backend, client):
    customer_uid = str(uuid.uuid4())
    backend.customer.register_iamport_card(customer_uid)
    source = {"schema": "some-schema", "table": "some-table", "id": customer_uid}
    vendor = {"code": "iamport", "store_id": IAMPORT_STORE, "uid": customer_uid}
    created = client.reservations.create(
        vendor=vendor, source=source, title="some-title", password=PASSWORD
    )
    assert list(created.raw) == [
        "id",
        "vendor_code",
        "vendor",
        "source",
        "title",
        "data",
        "created_at",
    ]
    assert created.title == "some-title"
    assert created.data["customer_uid"] == customer_uid
    assert created.data["card_number"]
    assert client.reservations.at(created.id, password=PASSWORD).raw == created.raw
    assert client.reservations.get(source=source, password=PASSWORD).raw == created.raw


def test_toss_subscription_reservation(backend, client):
    customer_key = str(uuid.uuid4())
    billing_key = backend.customer.register_toss_billing(customer_key)
    source = {"schema": "some-schema", "table": "some-table", "id": customer_key}
    vendor = {"code": "toss.payments", "store_id": TOSS_STORE, "uid": billing_key}
    created = client.reservations.create(
        vendor=vendor, source=source, title="some-title", password=PASSWORD
    )
    assert created.data["billingKey"] == billing_key
    assert created.data["cardNumber"]
    assert client.reservations.at(created.id, password=PASSWORD).raw == created.raw
    assert client.reservations.get(source=source, password=PASSWORD).raw == created.raw
