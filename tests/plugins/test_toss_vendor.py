"""The Toss Payments vendor against the fake Toss: fetch, approve, cancel, billing keys."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

import pytest
from payment_vendor_toss import TossVendor
from werkzeug.wrappers import Request, Response

from fake_servers.toss import FakeToss
from payment_service.vendors import (
    GatewayError,
    GatewayRejected,
    PaymentMismatch,
    Refund,
    RefundAccount,
)

from .support import (
    Recorder,
    as_received,
    cancel_in_two,
    json_response,
    serve,
    vendor_behind,
    vendor_settings,
)

REFUND_ACCOUNT = RefundAccount("신한은행", "110-123-456789", "홍길동", "010-1234-5678")


def order() -> str:
    return str(uuid.uuid4())


def test_fetch_payment_returns_the_gateway_record(toss: FakeToss, toss_vendor: TossVendor):
    key = toss.pay_by_card(20000, "order-1")["paymentKey"]
    assert toss_vendor.fetch_payment("store", key) == as_received(toss.payment(key))


def test_approve_card_payment(toss: FakeToss, toss_vendor: TossVendor):
    order_id = order()
    key = toss.pay_by_card(20000, order_id, approved=False)["paymentKey"]
    payment = toss_vendor.approve("store", key, order_id=order_id, amount=Decimal(20000))
    assert payment["status"] == "DONE"
    assert toss.payment(key)["status"] == "DONE"
    assert toss_vendor.summarize(payment).paid_at is not None


def test_approve_virtual_account_waits_for_the_deposit(toss: FakeToss, toss_vendor: TossVendor):
    order_id = order()
    key = toss.issue_virtual_account(19900, order_id)["paymentKey"]
    payment = toss_vendor.approve("store", key, order_id=order_id, amount=Decimal(19900))
    assert payment["status"] == "WAITING_FOR_DEPOSIT"
    assert toss_vendor.summarize(payment).paid_at is None
    toss.deposit(key)
    assert toss_vendor.summarize(toss_vendor.fetch_payment("store", key)).paid_at is not None


def test_approving_again_returns_the_payment(toss: FakeToss, toss_vendor: TossVendor):
    order_id = order()
    key = toss.pay_by_card(20000, order_id, approved=False)["paymentKey"]
    toss_vendor.approve("store", key, order_id=order_id, amount=Decimal(20000))
    again = toss_vendor.approve("store", key, order_id=order_id, amount=Decimal(20000))
    assert again["status"] == "DONE"
    assert again["cancels"] is None


@contextmanager
def toss_refusing_second_approvals(fake: FakeToss) -> Iterator[tuple[TossVendor, Recorder]]:
    """Real Toss refuses to approve an approved payment (the fake approves it again)."""

    def refuse(request: Request) -> Response | None:
        parts = request.path.strip("/").split("/")
        approval = request.method == "POST" and parts[:2] == ["v1", "payments"] and len(parts) == 3
        if approval and fake.payment(parts[2])["status"] == "DONE":
            message = "이미 처리된 결제 입니다."
            return json_response(400, {"code": "ALREADY_PROCESSED_PAYMENT", "message": message})
        return None

    recorder = Recorder(fake.app, intercept=refuse)
    with vendor_behind(TossVendor.from_settings, "toss", recorder) as vendor:
        yield vendor, recorder


def test_a_retry_accepts_the_payment_toss_already_approved(toss: FakeToss):
    order_id = order()
    key = toss.pay_by_card(20000, order_id, approved=False)["paymentKey"]
    with toss_refusing_second_approvals(toss) as (vendor, recorder):
        vendor.approve("store", key, order_id=order_id, amount=Decimal(20000))
        again = vendor.approve("store", key, order_id=order_id, amount=Decimal(20000))
    assert again["status"] == "DONE"
    assert recorder.paths().count(f"/v1/payments/{key}") == 3  # approve, approve, fetch


def test_a_paid_payment_of_another_amount_is_cancelled(toss: FakeToss):
    order_id = order()
    key = toss.pay_by_card(19000, order_id)["paymentKey"]  # approved at once, for 19000
    with (
        toss_refusing_second_approvals(toss) as (vendor, _),
        pytest.raises(PaymentMismatch) as raised,
    ):
        vendor.approve("store", key, order_id=order_id, amount=Decimal(20000))
    assert raised.value.cancelled is True
    assert raised.value.message == (
        "The payment's amount 19000 differs from the order's 20000; the Toss payment was cancelled."
    )
    payment = toss.payment(key)
    assert payment["balanceAmount"] == 0
    assert [c["cancelAmount"] for c in payment["cancels"]] == [19000]


def test_the_fake_refuses_another_amount_before_approval(toss: FakeToss, toss_vendor: TossVendor):
    order_id = order()
    key = toss.pay_by_card(19000, order_id, approved=False)["paymentKey"]
    with pytest.raises(GatewayRejected) as raised:
        toss_vendor.approve("store", key, order_id=order_id, amount=Decimal(20000))
    assert (raised.value.status, raised.value.message) == (422, "Wrong price.")
    assert toss.payment(key)["status"] == "IN_PROGRESS"


def test_the_fake_refuses_another_order_before_approval(toss: FakeToss, toss_vendor: TossVendor):
    key = toss.pay_by_card(20000, order(), approved=False)["paymentKey"]
    with pytest.raises(GatewayRejected) as raised:
        toss_vendor.approve("store", key, order_id="my-order", amount=Decimal(20000))
    assert (raised.value.status, raised.value.message) == (422, "Wrong orderId")


def test_an_approved_payment_of_another_order_is_left_untouched(toss: FakeToss):
    key = toss.pay_by_card(20000, "someone-elses-order")["paymentKey"]
    with (
        toss_refusing_second_approvals(toss) as (vendor, _),
        pytest.raises(PaymentMismatch) as raised,
    ):
        vendor.approve("store", key, order_id="my-order", amount=Decimal(19000))
    assert raised.value.cancelled is False
    assert raised.value.extra["mismatch"] == "order"
    assert toss.payment(key)["status"] == "DONE"
    assert toss.payment(key)["cancels"] is None


def test_a_refusal_of_an_unapproved_payment_is_passed_on(toss: FakeToss):
    """Toss's own refusal reaches the caller when the payment was not approved before."""

    def refuse(request: Request) -> Response | None:
        if request.method == "POST":
            return json_response(400, {"code": "INVALID_REQUEST", "message": "잘못된 요청입니다."})
        return None

    order_id = order()
    key = toss.pay_by_card(20000, order_id, approved=False)["paymentKey"]
    with (
        vendor_behind(
            TossVendor.from_settings, "toss", Recorder(toss.app, intercept=refuse)
        ) as vendor,
        pytest.raises(GatewayRejected) as raised,
    ):
        vendor.approve("store", key, order_id=order_id, amount=Decimal(20000))
    assert (raised.value.status, raised.value.message) == (400, "잘못된 요청입니다.")


def test_partial_then_full_cancel(toss: FakeToss, toss_vendor: TossVendor):
    order_id = order()
    key = toss.pay_by_card(20000, order_id)["paymentKey"]
    partial, full, summary = cancel_in_two(toss_vendor, key, order_id, 4000, 16000)
    assert (partial["balanceAmount"], full["balanceAmount"]) == (16000, 0)
    assert [c.amount for c in summary.cancels] == [Decimal(4000), Decimal(16000)]
    assert summary.cancels[0].cancelled_at <= summary.cancels[1].cancelled_at


def test_virtual_account_refunds_go_to_the_account_in_digits(toss: FakeToss):
    order_id = order()
    key = toss.issue_virtual_account(19900, order_id)["paymentKey"]
    toss.deposit(key)
    recorder = Recorder(toss.app)
    with vendor_behind(TossVendor.from_settings, "toss", recorder) as vendor:
        # The fake validates accountNumber as digits only: with dashes it would answer 400.
        payment = vendor.cancel("store", key, Refund(order_id, Decimal(3980), "r", REFUND_ACCOUNT))
    assert payment["balanceAmount"] == 15920
    [sent] = recorder.sent("POST", f"/v1/payments/{key}/cancel")
    assert sent == {
        "paymentKey": key,
        "cancelReason": "r",
        "cancelAmount": 3980,
        "refundReceiveAccount": {
            "bank": "신한은행",
            "accountNumber": "110123456789",
            "holderName": "홍길동",
        },
    }


def test_cancel_beyond_the_balance_is_refused(toss: FakeToss, toss_vendor: TossVendor):
    order_id = order()
    key = toss.pay_by_card(20000, order_id)["paymentKey"]
    with pytest.raises(GatewayRejected) as raised:
        toss_vendor.cancel("store", key, Refund(order_id, Decimal(20100), "r"))
    assert (raised.value.status, raised.value.message) == (422, "Balance amount is not enough.")


def test_fetch_reservation_returns_the_billing_key(toss: FakeToss, toss_vendor: TossVendor):
    customer = order()
    billing = toss.register_billing(customer)
    found = toss_vendor.fetch_reservation("store", billing["billingKey"], customer_id=customer)
    assert found == as_received(billing)


def test_a_billing_key_of_another_customer_is_the_callers_403(
    toss: FakeToss, toss_vendor: TossVendor
):
    billing = toss.register_billing("customer-a")
    with pytest.raises(GatewayRejected) as raised:
        toss_vendor.fetch_reservation("store", billing["billingKey"], customer_id="customer-b")
    assert (raised.value.status, raised.value.message) == (403, "Different customer.")


def test_wrong_secret_key_is_a_502(toss: FakeToss, toss_vendor: TossVendor):
    toss.secret_keys = {"test_sk_someone_else"}
    with pytest.raises(GatewayError) as raised:
        toss_vendor.fetch_payment("store", "any")
    assert raised.value.status == 502
    assert raised.value.message == (
        "toss.payments refused this server's credentials: Wrong authorization token."
    )


def test_basic_auth_carries_the_secret_key(toss: FakeToss):
    key = toss.pay_by_card(1000, "o")["paymentKey"]
    recorder = Recorder(toss.app)
    with serve(recorder) as url:
        options = {"toss.payments": {"base_url": url, "default": {"secret_key": "test_sk_abc"}}}
        toss.secret_keys.add("test_sk_abc")
        TossVendor.from_settings(vendor_settings(options)).fetch_payment("store", key)
    # base64("test_sk_abc:")
    assert recorder.requests[0].headers["Authorization"] == "Basic dGVzdF9za19hYmM6"
