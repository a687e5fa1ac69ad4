"""The PortOne V2 vendor against the fake PortOne: options, approval, cancels, billing keys,
webhook signatures and bodies, and the listing reconciliation will use."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from payment_vendor_portone import PortOneVendor
from payment_vendor_portone import vendor as vendor_module
from payment_vendor_portone.banks import bank_code

from fake_servers.portone import (
    DEFAULT_API_SECRET,
    DEFAULT_STORE_ID,
    DEFAULT_WEBHOOK_SECRET,
    FakePortOne,
)
from fake_servers.portone.signing import headers as signed_headers
from payment_service.errors import Unprocessable
from payment_service.vendors import (
    GatewayError,
    GatewayRejected,
    InvalidWebhook,
    PaymentMismatch,
    Refund,
    RefundAccount,
    UnknownStore,
    VendorConfigError,
    WebhookUnauthorized,
)

from .support import vendor_settings

CREDENTIALS = {
    "api_secret": DEFAULT_API_SECRET,
    "store_id": DEFAULT_STORE_ID,
    "webhook_secret": DEFAULT_WEBHOOK_SECRET,
}
ACCOUNT = RefundAccount("신한은행", "110-123-456789", "홍길동", "010-1234-5678")


@pytest.fixture
def portone() -> Iterator[FakePortOne]:
    with FakePortOne(port=0) as fake:
        yield fake


def make_vendor(base_url: str, **credentials: str) -> PortOneVendor:
    config = {"base_url": base_url, "stores": {"shop": {**CREDENTIALS, **credentials}}}
    return PortOneVendor.from_settings(vendor_settings({"portone": config}))


@pytest.fixture
def vendor(portone: FakePortOne) -> PortOneVendor:
    return make_vendor(portone.url)


def new_id() -> str:
    return f"payment-{uuid.uuid4()}"


def order_data(order_id: str) -> str:
    return json.dumps({"orderId": order_id})


# ---- options -------------------------------------------------------------------------------


def test_options_need_every_credential_and_a_whsec_secret():
    with pytest.raises(VendorConfigError) as caught:
        PortOneVendor.from_settings(
            vendor_settings({"portone": {"default": {"api_secret": "x", "store_id": "s"}}})
        )
    assert "default lacks webhook_secret" in str(caught.value)
    bad = {**CREDENTIALS, "webhook_secret": "not-a-whsec"}
    with pytest.raises(VendorConfigError) as caught:
        PortOneVendor.from_settings(vendor_settings({"portone": {"stores": {"a": bad}}}))
    assert "stores.a.webhook_secret must be whsec_" in str(caught.value)


def test_a_store_without_credentials_is_unknown(portone):
    vendor = make_vendor(portone.url)
    with pytest.raises(UnknownStore):
        vendor.fetch_payment("another-shop", "anything")


def test_calls_carry_the_api_secret_and_the_portone_store(portone):
    payment_id = new_id()
    portone.pay_by_card(payment_id, 1000)
    with pytest.raises(GatewayError) as caught:
        make_vendor(portone.url, api_secret="wrong").fetch_payment("shop", payment_id)
    assert caught.value.status == 502  # our credentials refused: our fault, not the caller's
    # The same secret acting for another PortOne store does not see this store's payment.
    with pytest.raises(GatewayRejected) as caught:
        make_vendor(portone.url, store_id="store-other").fetch_payment("shop", payment_id)
    assert caught.value.status == 404


# ---- approval ------------------------------------------------------------------------------


def test_approve_a_paid_card_payment(portone, vendor):
    payment_id = new_id()
    portone.pay_by_card(payment_id, 20000, custom_data=order_data("order-1"))
    payment = vendor.approve("shop", payment_id, order_id="order-1", amount=Decimal(20000))
    assert payment["status"] == "PAID"
    summary = vendor.summarize(payment)
    assert (summary.currency, summary.price, summary.cancels) == ("KRW", Decimal(20000), ())
    assert summary.paid_at is not None and summary.paid_at.tzinfo is not None
    # Approving again (a retry) returns it unchanged.
    again = vendor.approve("shop", payment_id, order_id="order-1", amount=Decimal(20000))
    assert again == payment


def test_a_payment_without_an_order_in_custom_data_is_matched_by_amount_only(portone, vendor):
    payment_id = new_id()
    portone.pay_by_card(payment_id, 3000, custom_data="free text, not JSON")
    assert vendor.approve("shop", payment_id, order_id="any", amount=Decimal(3000))


def test_wrong_currency_of_a_paid_payment_is_cancelled(portone, vendor):
    payment_id = new_id()
    portone.pay_by_card(payment_id, 20, currency="USD")
    with pytest.raises(PaymentMismatch) as caught:
        vendor.approve("shop", payment_id, order_id="o", amount=Decimal(20))
    assert caught.value.cancelled is True
    assert caught.value.extra["mismatch"] == "currency"
    assert portone.payment(payment_id)["status"] == "CANCELLED"


def test_a_failed_compensating_cancel_is_reported(portone, vendor):
    payment_id = new_id()
    portone.issue_virtual_account(payment_id, 5000)
    portone.deposit(payment_id)
    # A paid virtual account needs a refund account to be cancelled, which approval has not.
    with pytest.raises(PaymentMismatch) as caught:
        vendor.approve("shop", payment_id, order_id="o", amount=Decimal(4000))
    assert caught.value.cancelled is False
    assert caught.value.extra["cancel_error"]["status"] == 400
    assert portone.payment(payment_id)["status"] == "PAID"


# ---- cancel --------------------------------------------------------------------------------


def test_cancel_partly_then_wholly_returns_the_updated_payment(portone, vendor):
    payment_id = new_id()
    portone.pay_by_card(payment_id, 10000)
    after = vendor.cancel("shop", payment_id, Refund("o", Decimal(2500), "r1"))
    assert after["status"] == "PARTIAL_CANCELLED"
    after = vendor.cancel("shop", payment_id, Refund("o", Decimal(7500), "r2"))
    summary = vendor.summarize(after)
    assert after["status"] == "CANCELLED"
    assert [(c.amount, c.reason) for c in summary.cancels] == [
        (Decimal(2500), "r1"),
        (Decimal(7500), "r2"),
    ]


def test_cancel_of_a_fraction_of_a_won_is_refused_before_portone(portone, vendor):
    payment_id = new_id()
    portone.pay_by_card(payment_id, 10000)
    with pytest.raises(Unprocessable):
        vendor.cancel("shop", payment_id, Refund("o", Decimal("0.5"), "r"))
    assert portone.payment(payment_id)["amount"]["cancelled"] == 0


def test_refund_account_is_sent_with_a_portone_bank_code(portone, vendor):
    payment_id = new_id()
    portone.issue_virtual_account(payment_id, 19900)
    portone.deposit(payment_id)
    after = vendor.cancel("shop", payment_id, Refund("o", Decimal(19900), "r", ACCOUNT))
    assert after["status"] == "CANCELLED"


def test_cancel_beyond_the_balance_passes_portones_409(portone, vendor):
    payment_id = new_id()
    portone.pay_by_card(payment_id, 1000)
    with pytest.raises(GatewayRejected) as caught:
        vendor.cancel("shop", payment_id, Refund("o", Decimal(2000), "r"))
    assert caught.value.status == 409
    assert "CANCEL_AMOUNT_EXCEEDS_CANCELLABLE_AMOUNT" in caught.value.answer.body


@pytest.mark.parametrize(
    ("name", "code"),
    [("신한은행", "SHINHAN"), ("국민", "KOOKMIN"), ("카카오뱅크", "KAKAO"), ("HANA", "HANA")],
)
def test_bank_codes(name, code):
    assert bank_code(name) == code


# ---- billing keys --------------------------------------------------------------------------


def test_fetch_reservation_of_an_issued_billing_key(portone, vendor):
    key = portone.issue_billing_key("customer-1")["billingKey"]
    info = vendor.fetch_reservation("shop", key, customer_id="customer-1")
    assert info["status"] == "ISSUED" and info["billingKey"] == key


def test_deleted_or_foreign_billing_keys_are_refused(portone, vendor):
    key = portone.issue_billing_key("customer-1")["billingKey"]
    with pytest.raises(Unprocessable):
        vendor.fetch_reservation("shop", key, customer_id="customer-2")
    vendor._call("shop", "DELETE", f"/billing-keys/{key}", query={"storeId": DEFAULT_STORE_ID})
    with pytest.raises(Unprocessable):
        vendor.fetch_reservation("shop", key, customer_id="customer-1")
    with pytest.raises(GatewayRejected) as caught:
        vendor.fetch_reservation("shop", "billing-key-unknown", customer_id="c")
    assert caught.value.status == 404


# ---- webhooks ------------------------------------------------------------------------------


def signed(body: bytes, secret: str = DEFAULT_WEBHOOK_SECRET, age_s: int = 0) -> dict:
    return signed_headers(secret, "msg_1", int(time.time()) - age_s, body)


def test_webhook_signatures(vendor):
    body = b'{"type":"Transaction.Paid","data":{"paymentId":"p"}}'
    vendor.verify_webhook(signed(body), body)
    upper = {k.upper(): v for k, v in signed(body).items()}
    vendor.verify_webhook(upper, body)  # header names are case-insensitive
    for headers, raw in (
        ({}, body),
        (signed(body), body + b" "),
        (signed(body, age_s=301), body),
        (signed(body, age_s=-301), body),
        (signed(body, secret="whsec_" + "QUJD" * 8), body),
    ):
        with pytest.raises(WebhookUnauthorized):
            vendor.verify_webhook(headers, raw)


def test_every_stores_webhook_secret_is_accepted(portone):
    other = "whsec_" + "QUJD" * 8
    config = {
        "base_url": portone.url,
        "default": CREDENTIALS,
        "stores": {"b": {**CREDENTIALS, "webhook_secret": other}},
    }
    vendor = PortOneVendor.from_settings(vendor_settings({"portone": config}))
    body = b"{}"
    vendor.verify_webhook(signed(body, secret=other), body)
    vendor.verify_webhook(signed(body), body)


def test_without_credentials_every_webhook_is_refused():
    vendor = PortOneVendor.from_settings(vendor_settings({}))
    body = b"{}"
    with pytest.raises(WebhookUnauthorized):
        vendor.verify_webhook(signed(body), body)


def test_webhook_bodies(vendor):
    paid = {"type": "Transaction.Paid", "data": {"paymentId": "p-1", "storeId": "s"}}
    assert vendor.read_webhook(paid).uid == "p-1"
    cancelled = {"type": "Transaction.Cancelled", "data": {"paymentId": "p-2"}}
    assert vendor.read_webhook(cancelled).uid == "p-2"
    assert (
        vendor.read_webhook({"type": "Transaction.Ready", "data": {"paymentId": "p"}}).uid is None
    )
    assert vendor.read_webhook({"type": "BillingKey.Issued", "data": {}}).uid is None
    assert vendor.read_webhook({"type": "Something.New"}).uid is None
    for bad in ([], {}, {"type": 3}, {"type": "Transaction.Paid", "data": {"paymentId": ""}}):
        with pytest.raises(InvalidWebhook):
            vendor.read_webhook(bad)


# ---- listing -------------------------------------------------------------------------------


def test_list_payments_pages_through_the_whole_period(portone, vendor, monkeypatch):
    monkeypatch.setattr(vendor_module, "LISTING_PAGE", 2)
    since = datetime.now(UTC) - timedelta(seconds=5)
    ids = [new_id() for _ in range(5)]
    for payment_id in ids:
        portone.pay_by_card(payment_id, 100)
    until = datetime.now(UTC) + timedelta(seconds=5)
    listed = [p.uid for p in vendor.list_payments("shop", since, until)]
    assert all(p.payment["id"] == p.uid for p in vendor.list_payments("shop", since, until))
    assert listed == ids
    assert list(vendor.list_payments("shop", until, until + timedelta(seconds=1))) == []
