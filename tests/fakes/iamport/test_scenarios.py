"""The behaviour scenarios of the original fake's test suite (docs/fake-iamport.md §10), over
HTTP.

Where this fake follows the real iamport instead of the original (a partial refund keeps the
payment `paid`), the assertions say so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from fake_servers.iamport import FakeIamport

from .helpers import (
    REFUND_ACCOUNT,
    IamportClient,
    again_body,
    assert_payment,
    new_uid,
    onetime_body,
    otp_body,
    refund_body,
    webhook_of,
)
from .scenarios import card_payment, subscription_payment, vbank_payment

OVER_REFUND = "취소 금액은 결제 또는 잔여 금액보다 클 수 없습니다."
REFUND_ACCOUNT_REQUIRED = "가상계좌 취소는 계좌번호, 예금주, 은행명을 입력해야 합니다."

Scenario = Callable[[IamportClient, FakeIamport], dict[str, Any]]
KINDS: dict[str, tuple[Scenario, dict[str, str]]] = {
    "card": (card_payment, {}),
    "subscription": (subscription_payment, {}),
    "vbank": (vbank_payment, REFUND_ACCOUNT),
}


def test_fake_card_payment(api: IamportClient, fake: FakeIamport) -> None:
    payment = card_payment(api, fake)
    assert payment["amount"] == 25_000
    assert payment["name"] == "Fake 주문"
    assert payment["customer_uid"] is None
    assert payment["customer_uid_usage"] is None


@pytest.mark.parametrize("kind", KINDS)
def test_full_cancel(api: IamportClient, fake: FakeIamport, kind: str) -> None:
    """Scenarios 2, 8 and 13."""
    scenario, refund_account = KINDS[kind]
    payment = scenario(api, fake)
    amount = payment["amount"]

    refund = refund_body(payment, amount=amount, checksum=amount, reason="full refund")
    cancelled = api.ok("POST", "/payments/cancel", {**refund, **refund_account})
    reloaded = api.ok("GET", f"/payments/{payment['imp_uid']}")
    for record in (cancelled, reloaded):
        assert_payment(record, payment["pay_method"])
        assert record["status"] == "cancelled"
        assert record["cancel_amount"] == amount
        assert record["cancelled_at"] != 0
        assert record["cancel_reason"] == "full refund"
        assert [entry["amount"] for entry in record["cancel_history"]] == [amount]
        assert record["cancel_history"][0]["cancelled_at"] == record["cancelled_at"]
        assert record["paid_at"] == payment["paid_at"]
    assert fake.last_webhook() == webhook_of(
        payment["imp_uid"], payment["merchant_uid"], "cancelled"
    )


@pytest.mark.parametrize("kind", ["card", "subscription"])
def test_cancel_over_the_paid_amount_fails(
    api: IamportClient, fake: FakeIamport, kind: str
) -> None:
    """Scenarios 3 and 9."""
    payment = KINDS[kind][0](api, fake)
    too_much = refund_body(payment, amount=payment["amount"] + 100, reason="too much")
    body = api.error(422, "POST", "/payments/cancel", too_much)
    assert body == {"message": OVER_REFUND, "error": "Unprocessable Entity", "statusCode": 422}
    reloaded = api.ok("GET", f"/payments/{payment['imp_uid']}")
    assert reloaded["cancel_amount"] == 0
    assert reloaded["cancel_history"] == []
    assert reloaded["status"] == "paid"


def test_fake_vbank_payment_cancel_over(api: IamportClient, fake: FakeIamport) -> None:
    """Scenario 14: without a refund account the vbank refund is refused before the amount."""
    payment = vbank_payment(api, fake)
    too_much = refund_body(payment, amount=40_100, reason="too much")
    body = api.error(422, "POST", "/payments/cancel", too_much)
    assert body["message"] == REFUND_ACCOUNT_REQUIRED
    assert api.ok("GET", f"/payments/{payment['imp_uid']}")["cancel_amount"] == 0


@pytest.mark.parametrize("kind", KINDS)
def test_partial_cancels(api: IamportClient, fake: FakeIamport, kind: str) -> None:
    """Scenarios 4, 10 and 15: five refunds of a fifth each.

    The payment stays `paid` (and so does its webhook) until the fifth refund empties it.
    """
    scenario, refund_account = KINDS[kind]
    payment = scenario(api, fake)
    price = payment["amount"]
    part = price // 5

    for k in range(1, 6):
        refund = refund_body(
            payment, amount=part, checksum=price - part * (k - 1), reason=f"partial refund {k - 1}"
        )
        cancelled = api.ok("POST", "/payments/cancel", {**refund, **refund_account})
        expected_status = "cancelled" if k == 5 else "paid"
        for record in (cancelled, api.ok("GET", f"/payments/{payment['imp_uid']}")):
            assert_payment(record, payment["pay_method"])
            assert record["cancel_amount"] == part * k
            assert record["cancelled_at"] != 0
            assert len(record["cancel_history"]) == k
            assert sum(entry["amount"] for entry in record["cancel_history"]) == part * k
            assert record["cancel_reason"] == f"partial refund {k - 1}"
            assert record["status"] == expected_status
        expected = webhook_of(payment["imp_uid"], payment["merchant_uid"], expected_status)
        assert fake.last_webhook() == expected
    statuses = [webhook["status"] for webhook in fake.webhooks_for(payment["imp_uid"])]
    assert statuses[-5:] == ["paid"] * 4 + ["cancelled"]


def test_fake_certification(api: IamportClient) -> None:
    """Scenario 5."""
    accessor = api.ok("POST", "/certifications/otp/request", otp_body())
    assert list(accessor) == ["imp_uid"]
    imp_uid = accessor["imp_uid"]

    pending = api.ok("GET", f"/certifications/{imp_uid}")
    assert pending["certified"] is False
    assert pending["certified_at"] == 0
    assert len(pending["__otp"]) == 4 and pending["__otp"].isdigit()
    assert next(iter(pending)) == "__otp"
    assert pending["birth"] == 574_041_600  # 1988-03-11T00:00:00Z
    assert pending["birthday"] == "19880311"
    assert pending["gender"] == "1"
    assert pending["phone"] == "01011112222"

    confirmed = api.ok("POST", f"/certifications/otp/confirm/{imp_uid}", {"otp": pending["__otp"]})
    assert confirmed["certified"] is True
    assert confirmed["certified_at"] != 0
    assert confirmed["imp_uid"] == imp_uid


def test_fake_receipt(api: IamportClient, fake: FakeIamport) -> None:
    """Scenario 6."""
    payment = card_payment(api, fake)
    receipt = api.ok(
        "POST",
        f"/receipts/{payment['imp_uid']}",
        {
            "imp_uid": payment["imp_uid"],
            "identifier": "8803111******",
            "identifier_type": "person",
            "buyer_name": "홍길동",
            "buyer_tel": "01012345678",
        },
    )
    assert list(receipt) == [
        "imp_uid",
        "receipt_uid",
        "apply_num",
        "type",
        "amount",
        "vat",
        "receipt_url",
        "applied_at",
        "cancelled_at",
    ]
    assert receipt["imp_uid"] == payment["imp_uid"]
    assert receipt["amount"] == 25_000
    assert receipt["vat"] == 2_500
    assert receipt["type"] == "person"
    assert receipt["cancelled_at"] == 0
    assert api.ok("GET", f"/receipts/{payment['imp_uid']}") == receipt
    assert api.ok("GET", f"/payments/{payment['imp_uid']}")["cash_receipt_issue"] is True


def test_fake_subscription_payment_again(api: IamportClient, fake: FakeIamport) -> None:
    """Scenario 7."""
    payment = subscription_payment(api, fake)
    assert payment["amount"] == 10_000


def test_fake_subscription_payment_onetime(api: IamportClient, fake: FakeIamport) -> None:
    """Scenario 11: a onetime payment that saves the card, then a charge of the saved card."""
    customer_uid = new_uid()
    first_order = new_uid()
    saving = onetime_body(
        customer_uid=customer_uid, card_number="1234-5678-9012-3456", merchant_uid=first_order
    )
    first = api.ok("POST", "/subscribe/payments/onetime", saving)
    assert fake.last_webhook() == webhook_of(first["imp_uid"], first_order, "paid")
    reloaded = api.ok("GET", f"/payments/{first['imp_uid']}")
    assert_payment(reloaded, "card")
    assert (reloaded["status"], reloaded["customer_uid"]) == ("paid", customer_uid)
    assert reloaded["customer_uid_usage"] == "issue"
    saved = api.ok("GET", f"/subscribe/customers/{customer_uid}")
    assert saved["card_number"] == "1234-5678-9012-3456"

    second_order = new_uid()
    second = api.ok(
        "POST", "/subscribe/payments/again", again_body(customer_uid, merchant_uid=second_order)
    )
    assert second["imp_uid"] != first["imp_uid"]
    assert fake.last_webhook() == webhook_of(second["imp_uid"], second_order, "paid")
    reloaded = api.ok("GET", f"/payments/{second['imp_uid']}")
    assert_payment(reloaded, "card")
    assert (reloaded["status"], reloaded["amount"]) == ("paid", 10_000)
    assert reloaded["card_number"] == "1234-5678-9012-3456"


def test_fake_vbank_payment(api: IamportClient, fake: FakeIamport) -> None:
    """Scenario 12."""
    payment = vbank_payment(api, fake)
    assert payment["amount"] == 40_000
    assert payment["vbank_holder"] != "홍길동"  # iamport names the holder itself
    assert payment["vbank_name"].endswith("은행")
    assert len(payment["vbank_num"]) == 9
    # The issue time in milliseconds, while every other time is in seconds.
    assert payment["vbank_issued_at"] == round(payment["started_at"] * 1000)
    assert isinstance(payment["vbank_issued_at"], int)


def test_fake_vbank_payment_cancel_without_refund(api: IamportClient, fake: FakeIamport) -> None:
    """Scenario 16."""
    payment = vbank_payment(api, fake)
    no_account = refund_body(payment, amount=40_000, checksum=40_000, reason="no account")
    body = api.error(422, "POST", "/payments/cancel", no_account)
    assert body == {
        "message": REFUND_ACCOUNT_REQUIRED,
        "error": "Unprocessable Entity",
        "statusCode": 422,
    }
    reloaded = api.ok("GET", f"/payments/{payment['imp_uid']}")
    assert (reloaded["status"], reloaded["cancel_amount"]) == ("paid", 0)
