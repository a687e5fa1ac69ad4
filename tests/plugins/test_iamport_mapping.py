"""iamport records mapped to history fields, and iamport webhooks read."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from payment_vendor_iamport import IamportVendor

from fake_servers.iamport import FakeIamport
from payment_service.vendors import GatewayError, InvalidWebhook, Refund

from .support import vendor_settings

vendor = IamportVendor.from_settings(vendor_settings())


# A payment of 20000 won, paid and never cancelled, as iamport answers it.
PAID = {"imp_uid": "imp_1", "merchant_uid": "order-1", "status": "paid", "paid_at": 1700000000}
AMOUNTS = {"currency": "KRW", "amount": 20000, "cancel_amount": 0, "cancel_history": []}


def payment(**fields: Any) -> dict[str, Any]:
    return {**PAID, **AMOUNTS, **fields}


def test_amounts_stay_exact_decimals(iamport: FakeIamport, iamport_vendor: IamportVendor):
    uid = iamport.pay_by_card(12.34, "o", currency="USD")["imp_uid"]
    cancelled = iamport_vendor.cancel("store", uid, Refund("o", Decimal("0.1"), "r"))
    summary = iamport_vendor.summarize(cancelled)
    assert summary.currency == "USD"
    assert summary.price == Decimal("12.34")
    assert summary.cancels[0].amount == Decimal("0.1")
    assert cancelled["cancel_amount"] == Decimal("0.1")


def test_paid_at_is_utc_to_the_millisecond():
    summary = vendor.summarize(payment(paid_at=Decimal("1795662194.951")))
    assert summary.paid_at == datetime(2026, 11, 26, 3, 3, 14, 951000, tzinfo=UTC)
    finer = vendor.summarize(payment(paid_at=Decimal("1795662194.9519")))
    assert finer.paid_at == summary.paid_at


def test_whole_seconds_and_zero():
    assert vendor.summarize(payment(paid_at=1700000000)).paid_at == datetime(
        2023, 11, 14, 22, 13, 20, tzinfo=UTC
    )
    assert vendor.summarize(payment(paid_at=0, status="ready")).paid_at is None


def test_cancels_keep_iamports_order_amounts_reasons_and_times():
    history = [
        {"amount": 4000, "reason": "first", "cancelled_at": Decimal("1700000100.5")},
        {"amount": Decimal("3999.5"), "reason": "second", "cancelled_at": 1700000200},
    ]
    summary = vendor.summarize(payment(cancel_history=history, cancel_amount=Decimal("7999.5")))
    assert [c.amount for c in summary.cancels] == [Decimal(4000), Decimal("3999.5")]
    assert [c.reason for c in summary.cancels] == ["first", "second"]
    assert [c.cancelled_at for c in summary.cancels] == [
        datetime(2023, 11, 14, 22, 15, 0, 500000, tzinfo=UTC),
        datetime(2023, 11, 14, 22, 16, 40, tzinfo=UTC),
    ]
    assert summary.cancels[0].data == history[0]


@pytest.mark.parametrize(
    "broken",
    [
        {"amount": None},
        {"amount": "a lot"},
        {"currency": 410},
        {"paid_at": "yesterday"},
        {"cancel_history": [{"amount": 1, "reason": "r", "cancelled_at": 0}]},
    ],
)
def test_an_unreadable_payment_is_a_gateway_failure(broken: dict[str, Any]):
    with pytest.raises(GatewayError) as raised:
        vendor.summarize(payment(**broken))
    assert raised.value.status == 502


def test_a_payment_without_currency_is_a_gateway_failure():
    record = payment()
    del record["currency"]
    with pytest.raises(GatewayError):
        vendor.summarize(record)


# ---- webhooks --------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["paid", "cancelled", "failed", "ready"])
def test_every_status_names_the_payment(status: str):
    notice = vendor.read_webhook({"imp_uid": "imp_1", "merchant_uid": "o", "status": status})
    assert notice.uid == "imp_1"


def test_extra_fields_are_ignored():
    body = {"imp_uid": "imp_1", "merchant_uid": "o", "status": "paid", "cancellation_id": "c"}
    assert vendor.read_webhook(body).uid == "imp_1"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"merchant_uid": "o", "status": "paid"}, "imp_uid"),
        ({"imp_uid": "", "merchant_uid": "o", "status": "paid"}, "imp_uid"),
        ({"imp_uid": 7, "merchant_uid": "o", "status": "paid"}, "imp_uid"),
        ({"imp_uid": "imp_1", "status": "paid"}, "merchant_uid"),
        ({"imp_uid": "imp_1", "merchant_uid": "o"}, "status"),
        ({"imp_uid": "imp_1", "merchant_uid": "o", "status": "PAID"}, "status"),
    ],
)
def test_a_malformed_webhook_names_the_field(body: dict[str, Any], field: str):
    with pytest.raises(InvalidWebhook) as raised:
        vendor.read_webhook(body)
    assert raised.value.status == 400
    assert raised.value.extra["field"] == field
    assert repr(field) in raised.value.message


@pytest.mark.parametrize("body", [None, [], "imp_1", 3])
def test_a_webhook_that_is_not_an_object_is_refused(body: Any):
    with pytest.raises(InvalidWebhook):
        vendor.read_webhook(body)


def test_the_fakes_webhooks_are_read(iamport: FakeIamport):
    uid = iamport.issue_vbank(19900, "o")["imp_uid"]
    iamport.deposit(uid)
    notices = [vendor.read_webhook(body) for body in iamport.webhooks_for(uid)]
    assert [n.uid for n in notices] == [uid, uid]
