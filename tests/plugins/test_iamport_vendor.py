"""The iamport vendor against the fake iamport: fetch, approve, cancel, reservations."""

from __future__ import annotations

import uuid
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from payment_vendor_iamport import IamportVendor

from fake_servers.iamport import FakeIamport
from payment_service.vendors import GatewayRejected, PaymentMismatch, Refund, RefundAccount

from .support import Recorder, as_received, cancel_in_two, vendor_behind

REFUND_ACCOUNT = RefundAccount("신한은행", "110-123-456789", "홍길동", "010-1234-5678")
VBANK_REFUND_REQUIRED = "가상계좌 취소는 계좌번호, 예금주, 은행명을 입력해야 합니다."


def order() -> str:
    return str(uuid.uuid4())


def approve_20000(vendor: IamportVendor, made: dict[str, Any]) -> PaymentMismatch:
    """Approve the fake's payment `made` as its order's payment of 20000, which it is not;
    the refusal."""
    with pytest.raises(PaymentMismatch) as raised:
        vendor.approve(
            "store", made["imp_uid"], order_id=made["merchant_uid"], amount=Decimal(20000)
        )
    return raised.value


def test_fetch_payment_returns_the_gateway_record(
    iamport: FakeIamport, iamport_vendor: IamportVendor
):
    paid = iamport.pay_by_card(20000, "order-1")
    payment = iamport_vendor.fetch_payment("store", paid["imp_uid"])
    assert payment == as_received(iamport.payment(paid["imp_uid"]))
    assert payment["status"] == "paid"


@pytest.mark.parametrize(("method", "status"), [("card", "paid"), ("vbank", "ready")])
def test_approve_the_payment_of_the_order(
    iamport: FakeIamport, iamport_vendor: IamportVendor, method: str, status: str
):
    """A card payment is paid at once; a virtual account is ready until the deposit."""
    order_id = order()
    made = (iamport.pay_by_card if method == "card" else iamport.issue_vbank)(20000, order_id)
    payment = iamport_vendor.approve(
        "store", made["imp_uid"], order_id=order_id, amount=Decimal(20000)
    )
    assert payment["imp_uid"] == made["imp_uid"]
    assert payment["status"] == status
    assert (iamport_vendor.summarize(payment).paid_at is None) == (method == "vbank")


def test_approving_again_returns_the_same_payment(
    iamport: FakeIamport, iamport_vendor: IamportVendor
):
    order_id = order()
    uid = iamport.pay_by_card(20000, order_id)["imp_uid"]
    first = iamport_vendor.approve("store", uid, order_id=order_id, amount=Decimal(20000))
    second = iamport_vendor.approve("store", uid, order_id=order_id, amount=Decimal("20000.00"))
    assert first == second
    assert iamport.payment(uid)["cancel_history"] == []


def test_wrong_amount_cancels_the_whole_paid_payment(
    iamport: FakeIamport, iamport_vendor: IamportVendor
):
    made = iamport.pay_by_card(19000, order())
    mismatch = approve_20000(iamport_vendor, made)
    assert mismatch.cancelled is True
    assert mismatch.status == 422
    assert mismatch.message == (
        "The paid amount 19000 differs from the order's 20000; the iamport payment was cancelled."
    )
    payment = iamport.payment(made["imp_uid"])
    assert payment["status"] == "cancelled"
    # All of what was paid, not the claimed price (which exceeds it and would be refused).
    assert payment["cancel_amount"] == 19000
    assert [entry["amount"] for entry in payment["cancel_history"]] == [19000]


def test_wrong_amount_of_an_unpaid_virtual_account_cancels_nothing(
    iamport: FakeIamport, iamport_vendor: IamportVendor
):
    made = iamport.issue_vbank(19900, order())
    mismatch = approve_20000(iamport_vendor, made)
    assert mismatch.cancelled is False
    assert "not paid, so nothing was cancelled" in mismatch.message
    assert iamport.payment(made["imp_uid"])["cancel_history"] == []


def test_wrong_amount_says_when_the_cancel_failed(
    iamport: FakeIamport, iamport_vendor: IamportVendor
):
    made = iamport.issue_vbank(19900, order())
    iamport.deposit(made["imp_uid"])
    mismatch = approve_20000(iamport_vendor, made)
    # A paid virtual account can only be refunded to a bank account, which we do not have.
    assert mismatch.cancelled is False
    assert mismatch.message.endswith(
        f"cancelling the iamport payment failed: {VBANK_REFUND_REQUIRED}"
    )
    assert mismatch.extra["cancel_error"]["status"] == 422
    assert iamport.payment(made["imp_uid"])["status"] == "paid"


def test_payment_of_another_order_is_refused_and_left_untouched(
    iamport: FakeIamport, iamport_vendor: IamportVendor
):
    uid = iamport.pay_by_card(20000, "someone-elses-order")["imp_uid"]
    with pytest.raises(PaymentMismatch) as raised:
        iamport_vendor.approve("store", uid, order_id="my-order", amount=Decimal(19000))
    assert raised.value.cancelled is False
    assert raised.value.extra["mismatch"] == "order"
    # The other order's id is not revealed to this caller.
    assert "someone-elses-order" not in raised.value.message
    assert iamport.payment(uid)["status"] == "paid"
    assert iamport.payment(uid)["cancel_history"] == []


def test_cancelled_payment_cannot_be_approved(iamport: FakeIamport, iamport_vendor: IamportVendor):
    order_id = order()
    uid = iamport.pay_by_card(20000, order_id)["imp_uid"]
    iamport.cancel(uid)
    with pytest.raises(PaymentMismatch) as raised:
        iamport_vendor.approve("store", uid, order_id=order_id, amount=Decimal(20000))
    assert raised.value.cancelled is False
    assert (
        raised.value.message == f"The iamport payment {uid} is cancelled, so it cannot be approved."
    )


def test_partial_then_full_cancel_of_a_card_payment(
    iamport: FakeIamport, iamport_vendor: IamportVendor
):
    order_id = order()
    uid = iamport.pay_by_card(20000, order_id)["imp_uid"]
    partial, rest, summary = cancel_in_two(iamport_vendor, uid, order_id, 4000, 16000)
    assert partial["cancel_amount"] == 4000
    assert rest["cancel_amount"] == 20000
    assert [c.amount for c in summary.cancels] == [Decimal(4000), Decimal(16000)]
    assert [c.reason for c in summary.cancels] == ["some-reason", "some-reason"]


def test_cancel_beyond_the_remainder_is_refused_with_iamports_message(
    iamport: FakeIamport, iamport_vendor: IamportVendor
):
    order_id = order()
    uid = iamport.pay_by_card(20000, order_id)["imp_uid"]
    with pytest.raises(GatewayRejected) as raised:
        iamport_vendor.cancel("store", uid, Refund(order_id, Decimal(20100), "r"))
    assert raised.value.status == 422
    assert raised.value.message == "취소 금액은 결제 또는 잔여 금액보다 클 수 없습니다."


def test_virtual_account_cancel_needs_the_refund_account(
    iamport: FakeIamport, iamport_vendor: IamportVendor
):
    order_id = order()
    uid = iamport.issue_vbank(19900, order_id)["imp_uid"]
    iamport.deposit(uid)
    without_account = Refund(order_id, Decimal(3980), "some-reason")
    with pytest.raises(GatewayRejected) as raised:
        iamport_vendor.cancel("store", uid, without_account)
    assert raised.value.message == VBANK_REFUND_REQUIRED
    partial = iamport_vendor.cancel("store", uid, replace(without_account, account=REFUND_ACCOUNT))
    assert partial["cancel_amount"] == 3980
    full = iamport_vendor.cancel(
        "store", uid, Refund(order_id, Decimal(15920), "some-reason", REFUND_ACCOUNT)
    )
    assert full["cancel_amount"] == 19900


def test_fetch_reservation_returns_the_saved_card(
    iamport: FakeIamport, iamport_vendor: IamportVendor
):
    customer = order()
    saved = iamport.register_card(customer)
    card = iamport_vendor.fetch_reservation("store", customer, customer_id=customer)
    assert card == as_received(saved)
    assert card["customer_uid"] == customer


@pytest.mark.parametrize("uid", ["../subscribe/customers/victim", "..", "victim?x=1"])
def test_a_uid_never_leaves_its_path_segment(
    iamport: FakeIamport, iamport_vendor: IamportVendor, uid: str
):
    iamport.register_card("victim")
    with pytest.raises(GatewayRejected) as raised:
        iamport_vendor.fetch_payment("store", uid)
    assert raised.value.status == 404


def test_cancel_sends_the_refund_account_and_a_null_checksum(iamport: FakeIamport):
    order_id = order()
    uid = iamport.issue_vbank(19900, order_id)["imp_uid"]
    recorder = Recorder(iamport.app)
    iamport.deposit(uid)
    with vendor_behind(IamportVendor.from_settings, "iamport", recorder) as vendor:
        vendor.cancel("store", uid, Refund(order_id, Decimal(19900), "r", REFUND_ACCOUNT))
    assert recorder.sent("POST", "/payments/cancel") == [
        {
            "imp_uid": uid,
            "merchant_uid": order_id,
            "amount": 19900,
            "reason": "r",
            "checksum": None,
            "refund_bank": "신한은행",
            "refund_account": "110-123-456789",
            "refund_holder": "홍길동",
            "refund_tel": "010-1234-5678",
        }
    ]


def test_a_wrongly_paid_payment_is_cancelled_whole_without_an_amount(iamport: FakeIamport):
    order_id = order()
    uid = iamport.pay_by_card(19000, order_id)["imp_uid"]
    recorder = Recorder(iamport.app)
    with (
        vendor_behind(IamportVendor.from_settings, "iamport", recorder) as vendor,
        pytest.raises(PaymentMismatch),
    ):
        vendor.approve("store", uid, order_id=order_id, amount=Decimal(20000))
    [sent] = recorder.sent("POST", "/payments/cancel")
    assert "amount" not in sent
    assert (sent["imp_uid"], sent["merchant_uid"], sent["checksum"]) == (uid, order_id, None)
