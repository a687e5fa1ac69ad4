"""Toss payments mapped to history fields, and Toss webhooks read."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from payment_vendor_toss import TossVendor

from fake_servers.toss import FakeToss
from payment_service.vendors import GatewayError, InvalidWebhook

from .support import vendor_settings

vendor = TossVendor.from_settings(vendor_settings())


# A payment of 20000 won, approved and never cancelled, as Toss answers it.
DONE = {"paymentKey": "pk_1", "orderId": "order-1", "status": "DONE", "cancels": None}
AMOUNTS = {"currency": "KRW", "totalAmount": 20000, "balanceAmount": 20000}


def payment(**fields: Any) -> dict[str, Any]:
    return {**DONE, **AMOUNTS, "approvedAt": "2024-05-01T12:04:05+09:00", **fields}


def test_price_and_cancels_are_exact_decimals():
    cancels = [
        {
            "cancelAmount": Decimal("0.1"),
            "cancelReason": "r",
            "canceledAt": "2024-05-01T03:04:06.123Z",
        }
    ]
    summary = vendor.summarize(
        payment(currency="USD", totalAmount=Decimal("12.34"), cancels=cancels)
    )
    assert summary.currency == "USD"
    assert summary.price == Decimal("12.34")
    assert summary.cancels[0].amount == Decimal("0.1")


@pytest.mark.parametrize("status", ["DONE", "CANCELED", "PARTIAL_CANCELED"])
def test_paid_at_is_the_approval_of_a_paid_payment(status: str):
    summary = vendor.summarize(payment(status=status))
    assert summary.paid_at == datetime(2024, 5, 1, 3, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    "status", ["READY", "IN_PROGRESS", "WAITING_FOR_DEPOSIT", "ABORTED", "EXPIRED"]
)
def test_an_unpaid_payment_has_no_paid_at(status: str):
    assert vendor.summarize(payment(status=status)).paid_at is None


def test_a_paid_status_without_approval_has_no_paid_at():
    assert vendor.summarize(payment(approvedAt=None)).paid_at is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-26T03:03:05.077Z", datetime(2026, 11, 26, 3, 3, 5, 77000, tzinfo=UTC)),
        ("2026-11-26T12:03:05.0779+09:00", datetime(2026, 11, 26, 3, 3, 5, 77000, tzinfo=UTC)),
        # Without an offset, Toss means Korean time.
        ("2026-11-26T12:03:05.077999", datetime(2026, 11, 26, 3, 3, 5, 77000, tzinfo=UTC)),
    ],
)
def test_timestamps_are_utc_to_the_millisecond(text: str, expected: datetime):
    assert vendor.summarize(payment(approvedAt=text)).paid_at == expected


def test_cancels_keep_tosss_order_and_times():
    cancels = [
        {"cancelAmount": 4000, "cancelReason": "first", "canceledAt": "2024-05-01T12:10:00+09:00"},
        {"cancelAmount": 6000, "cancelReason": "second", "canceledAt": "2024-05-01T03:20:00.5Z"},
    ]
    summary = vendor.summarize(payment(status="PARTIAL_CANCELED", cancels=cancels))
    assert [(c.amount, c.reason) for c in summary.cancels] == [
        (Decimal(4000), "first"),
        (Decimal(6000), "second"),
    ]
    assert [c.cancelled_at for c in summary.cancels] == [
        datetime(2024, 5, 1, 3, 10, tzinfo=UTC),
        datetime(2024, 5, 1, 3, 20, 0, 500000, tzinfo=UTC),
    ]
    assert summary.cancels[1].data == cancels[1]


def test_the_fakes_payments_are_summarized(toss: FakeToss):
    key = toss.pay_by_card(30000, "o")["paymentKey"]
    toss.cancel(key, "a", 6000)
    toss.cancel(key, "b", 6000)
    summary = vendor.summarize(toss.payment(key))
    assert summary.price == 30000
    assert [c.reason for c in summary.cancels] == ["a", "b"]


@pytest.mark.parametrize(
    "broken",
    [
        {"totalAmount": None},
        {"currency": None},
        {"approvedAt": "soon"},
        {"cancels": [{"cancelAmount": 1}]},
    ],
)
def test_an_unreadable_payment_is_a_gateway_failure(broken: dict[str, Any]):
    with pytest.raises(GatewayError) as raised:
        vendor.summarize(payment(**broken))
    assert raised.value.status == 502


# ---- webhooks --------------------------------------------------------------------------------


def status_changed(status: str, **data: Any) -> dict[str, Any]:
    return {
        "eventType": "PAYMENT_STATUS_CHANGED",
        "createdAt": "2024-05-01T12:00:00.000000",
        "data": {"paymentKey": "pk_1", "orderId": "order-1", "status": status, **data},
    }


@pytest.mark.parametrize(
    "status",
    ["DONE", "CANCELED", "PARTIAL_CANCELED", "WAITING_FOR_DEPOSIT", "ABORTED", "EXPIRED", "NEW"],
)
def test_status_changes_name_the_payment(status: str):
    assert vendor.read_webhook(status_changed(status)).uid == "pk_1"


@pytest.mark.parametrize("status", ["READY", "IN_PROGRESS"])
def test_status_changes_before_approval_are_ignored(status: str):
    notice = vendor.read_webhook(status_changed(status))
    assert notice.uid is None
    assert status in notice.reason


def test_a_deposit_callback_as_toss_sends_it_is_accepted():
    body = {
        "createdAt": "2024-05-01T12:00:00.000",
        "secret": "ps_secret",
        "status": "DONE",
        "transactionKey": "tk_1",
        "orderId": "order-1",
    }
    notice = vendor.read_webhook(body)
    assert notice.uid is None
    assert "DEPOSIT_CALLBACK names no paymentKey" in notice.reason


@pytest.mark.parametrize(
    "body",
    [
        {"eventType": "DEPOSIT_CALLBACK", "secret": "s", "status": "DONE", "paymentKey": "pk_1"},
        {"eventType": "DEPOSIT_CALLBACK", "data": {"paymentKey": "pk_1", "status": "DONE"}},
        {
            "eventType": "CANCEL_STATUS_CHANGED",
            "data": {"paymentKey": "pk_1", "cancelStatus": "DONE"},
        },
    ],
)
def test_other_payment_events_with_a_payment_key_name_it(body: dict[str, Any]):
    assert vendor.read_webhook(body).uid == "pk_1"


def test_a_cancel_event_without_a_payment_key_is_ignored():
    body = {"eventType": "CANCEL_STATUS_CHANGED", "data": {"transactionKey": "tk_1"}}
    assert vendor.read_webhook(body).uid is None


@pytest.mark.parametrize(
    "event",
    ["PAYOUT_STATUS_CHANGED", "METHOD_UPDATED", "CUSTOMER_STATUS_CHANGED", "BILLING_DELETED"],
)
def test_events_about_other_things_are_ignored(event: str):
    notice = vendor.read_webhook({"eventType": event, "data": {"paymentKey": "pk_1"}})
    assert notice.uid is None
    assert notice.reason == f"Toss {event} does not concern a payment"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"data": {"paymentKey": "pk_1", "status": "DONE"}}, "eventType"),
        ({"eventType": 3}, "eventType"),
        ({"eventType": ""}, "eventType"),
        ({"eventType": "PAYMENT_STATUS_CHANGED"}, "data"),
        ({"eventType": "PAYMENT_STATUS_CHANGED", "data": {"status": "DONE"}}, "data.paymentKey"),
        ({"eventType": "PAYMENT_STATUS_CHANGED", "data": {"paymentKey": "pk"}}, "data.status"),
    ],
)
def test_a_malformed_webhook_names_the_field(body: dict[str, Any], field: str):
    with pytest.raises(InvalidWebhook) as raised:
        vendor.read_webhook(body)
    assert raised.value.status == 400
    assert raised.value.extra["field"] == field


def test_the_fakes_webhooks_are_read(toss: FakeToss):
    key = toss.issue_virtual_account(19900, "o")["paymentKey"]
    toss.deposit(key)
    toss.cancel(key, "r", 100)
    assert toss.drain_webhooks()
    assert vendor.read_webhook(toss.last_webhook(key)).uid == key


@pytest.mark.parametrize("body", [None, [], "PAYMENT_STATUS_CHANGED", 1])
def test_a_webhook_that_is_not_an_object_is_refused(body: Any):
    with pytest.raises(InvalidWebhook):
        vendor.read_webhook(body)
