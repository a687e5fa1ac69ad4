"""Where this fake deliberately differs from the original (listed in fake_servers/README.md)."""

from __future__ import annotations

from typing import Any

import pytest

from fake_servers.iamport import FakeIamport

from .helpers import (
    REFUND_ACCOUNT,
    IamportClient,
    again_body,
    new_uid,
    onetime_body,
    refund_body,
    vbank_body,
)
from .scenarios import card_payment, vbank_payment


def unprocessable(message: str) -> dict[str, Any]:
    return {"message": message, "error": "Unprocessable Entity", "statusCode": 422}


def assert_unchanged(api: IamportClient, payment: dict[str, Any]) -> None:
    assert api.ok("GET", f"/payments/{payment['imp_uid']}") == payment


# --------------------------------------------------------------------------- refunds


def test_partial_refund_keeps_the_payment_paid(api: IamportClient, fake: FakeIamport) -> None:
    payment = card_payment(api, fake)
    partly = api.ok("POST", "/payments/cancel", refund_body(payment, amount=5_000))
    assert (partly["status"], partly["cancel_amount"]) == ("paid", 5_000)
    assert partly["cancelled_at"] != 0
    assert fake.last_webhook() == {
        "imp_uid": payment["imp_uid"],
        "merchant_uid": payment["merchant_uid"],
        "status": "paid",
    }
    rest = api.ok("POST", "/payments/cancel", refund_body(payment))
    assert (rest["status"], rest["cancel_amount"]) == ("cancelled", 25_000)
    assert rest["cancel_history"][-1]["amount"] == 20_000
    assert fake.last_webhook() == {
        "imp_uid": payment["imp_uid"],
        "merchant_uid": payment["merchant_uid"],
        "status": "cancelled",
    }


@pytest.mark.parametrize("amount", [0, -5_000])
def test_zero_or_negative_refund_is_refused(
    api: IamportClient, fake: FakeIamport, amount: int
) -> None:
    payment = card_payment(api, fake)
    body = api.error(422, "POST", "/payments/cancel", refund_body(payment, amount=amount))
    assert body == unprocessable("취소 금액은 0보다 커야 합니다.")
    assert_unchanged(api, payment)
    assert len(fake.webhooks_for(payment["imp_uid"])) == 1


def test_fully_refunded_payment_cannot_be_refunded_again(
    api: IamportClient, fake: FakeIamport
) -> None:
    payment = card_payment(api, fake)
    cancelled = api.ok("POST", "/payments/cancel", refund_body(payment))
    body = api.error(422, "POST", "/payments/cancel", refund_body(payment))
    assert body == unprocessable("이미 전액취소된 주문입니다.")
    assert_unchanged(api, cancelled)


def test_unpaid_virtual_account_cannot_be_refunded(api: IamportClient, fake: FakeIamport) -> None:
    ready = fake.issue_vbank(40_000, new_uid())
    body = api.error(422, "POST", "/payments/cancel", refund_body(ready, **REFUND_ACCOUNT))
    assert body == unprocessable("Not paid yet.")
    assert_unchanged(api, ready)


def test_checksum_must_match_the_refundable_amount(api: IamportClient, fake: FakeIamport) -> None:
    payment = card_payment(api, fake)
    body = api.error(
        422, "POST", "/payments/cancel", refund_body(payment, amount=5_000, checksum=20_000)
    )
    assert body == unprocessable("checksum(20000)이 취소 가능 잔액(25000)과 일치하지 않습니다.")
    assert_unchanged(api, payment)

    api.ok("POST", "/payments/cancel", refund_body(payment, amount=5_000, checksum=25_000))
    again = api.ok("POST", "/payments/cancel", refund_body(payment, amount=5_000, checksum=20_000))
    assert again["cancel_amount"] == 10_000


def test_fractional_refunds_are_allowed(api: IamportClient, fake: FakeIamport) -> None:
    payment = fake.pay_by_card(10.5, new_uid(), currency="USD")
    partly = api.ok("POST", "/payments/cancel", refund_body(payment, amount=0.25))
    assert (partly["cancel_amount"], partly["status"]) == (0.25, "paid")


# --------------------------------------------------------------------------- virtual accounts


def test_deposit_twice_is_refused(api: IamportClient, fake: FakeIamport) -> None:
    paid = vbank_payment(api, fake)
    body = api.error(422, "PUT", f"/internal/deposit/{paid['imp_uid']}")
    assert body == unprocessable("Already paid.")
    assert_unchanged(api, paid)
    assert [hook["status"] for hook in fake.webhooks_for(paid["imp_uid"])] == ["ready", "paid"]


def test_deposit_into_a_cancelled_account_is_refused(api: IamportClient, fake: FakeIamport) -> None:
    paid = vbank_payment(api, fake)
    cancelled = api.ok("POST", "/payments/cancel", refund_body(paid, **REFUND_ACCOUNT))
    body = api.error(422, "PUT", f"/internal/deposit/{paid['imp_uid']}")
    assert body == unprocessable("Already cancelled.")
    assert_unchanged(api, cancelled)


def test_deposit_into_a_card_payment_is_refused(api: IamportClient, fake: FakeIamport) -> None:
    card = fake.pay_by_card(1_000, new_uid())
    body = api.error(422, "PUT", f"/internal/deposit/{card['imp_uid']}")
    assert body == unprocessable("Not a virtual bank payment.")


def test_waiting_account_can_be_edited(api: IamportClient, fake: FakeIamport) -> None:
    ready = fake.issue_vbank(40_000, new_uid())
    change = {"imp_uid": ready["imp_uid"], "amount": 35_000, "vbank_due": 2_000_000_000}
    edited = api.ok("PUT", "/vbanks", change)
    assert (edited["amount"], edited["vbank_date"], edited["status"]) == (
        35_000,
        2_000_000_000,
        "ready",
    )
    # Zero leaves the amount as it is, as in the original.
    unchanged = api.ok("PUT", "/vbanks", {"imp_uid": ready["imp_uid"], "amount": 0})
    assert unchanged["amount"] == 35_000
    assert [hook["status"] for hook in fake.webhooks_for(ready["imp_uid"])] == ["ready"] * 3


def test_paid_account_cannot_be_edited(api: IamportClient, fake: FakeIamport) -> None:
    paid = vbank_payment(api, fake)
    body = api.error(422, "PUT", "/vbanks", {"imp_uid": paid["imp_uid"], "amount": 1_000})
    assert body == unprocessable("Already paid.")
    assert_unchanged(api, paid)


def test_editing_a_card_payment_is_refused(api: IamportClient, fake: FakeIamport) -> None:
    card = fake.pay_by_card(1_000, new_uid())
    body = api.error(422, "PUT", "/vbanks", {"imp_uid": card["imp_uid"], "amount": 5})
    assert body == unprocessable("Not a virtual bank payment.")


# --------------------------------------------------------------------------- receipts


def test_receipt_can_be_cancelled_once(api: IamportClient, fake: FakeIamport) -> None:
    payment = fake.pay_by_card(25_000, new_uid())
    path = f"/receipts/{payment['imp_uid']}"
    issued = api.ok("POST", path, {"imp_uid": payment["imp_uid"], "identifier": "01012345678"})

    cancelled = api.ok("DELETE", path)
    assert cancelled["receipt_uid"] == issued["receipt_uid"]
    assert cancelled["cancelled_at"] != 0
    assert api.ok("GET", path) == cancelled
    assert api.ok("GET", f"/payments/{payment['imp_uid']}")["cash_receipt_issue"] is False

    assert api.error(422, "DELETE", path) == unprocessable("Already cancelled.")


def test_active_receipt_cannot_be_issued_twice(api: IamportClient, fake: FakeIamport) -> None:
    payment = fake.pay_by_card(25_000, new_uid())
    path = f"/receipts/{payment['imp_uid']}"
    body = {"imp_uid": payment["imp_uid"], "identifier": "01012345678", "type": "company"}
    first = api.ok("POST", path, body)
    assert first["type"] == "company"
    assert api.error(422, "POST", path, body) == unprocessable("Already issued.")

    api.ok("DELETE", path)
    second = api.ok("POST", path, body)
    assert second["receipt_uid"] != first["receipt_uid"]
    assert second["cancelled_at"] == 0
    assert api.ok("GET", f"/payments/{payment['imp_uid']}")["cash_receipt_issue"] is True


def test_receipt_needs_a_paid_payment(api: IamportClient, fake: FakeIamport) -> None:
    ready = fake.issue_vbank(10_000, new_uid())
    body = {"imp_uid": ready["imp_uid"], "identifier": "x"}
    assert api.error(422, "POST", f"/receipts/{ready['imp_uid']}", body) == unprocessable(
        "Not paid yet."
    )


def test_receipt_of_a_missing_payment_is_not_found(api: IamportClient, fake: FakeIamport) -> None:
    payment = fake.pay_by_card(1_000, new_uid())
    body = api.error(404, "DELETE", f"/receipts/{payment['imp_uid']}")
    assert body["message"].endswith(f"-> {payment['imp_uid']}")


# --------------------------------------------------------------------------- input checks


def test_virtual_account_buyer_email_is_checked_before_anything_is_stored(
    api: IamportClient, fake: FakeIamport
) -> None:
    body = api.error(400, "POST", "/vbanks", vbank_body(buyer_email="not-an-email"))
    assert body == {
        "path": "$input.buyer_email",
        "reason": (
            "Error on core.TypedBody(): invalid type on $input.buyer_email, "
            'expect to be ((string & Format<"email">) | undefined)'
        ),
        "expected": '((string & Format<"email">) | undefined)',
        "value": "not-an-email",
        "message": "Request body data is not following the promised type.",
    }
    assert fake.last_webhook() is None
    assert len(fake.state.payments) == 0
    ok = api.ok("POST", "/vbanks", vbank_body(buyer_email="buyer@example.com"))
    assert ok["buyer_email"] == "buyer@example.com"


@pytest.mark.parametrize("quota", [-1, 1.5])
def test_card_quota_must_be_a_uint32(api: IamportClient, fake: FakeIamport, quota: float) -> None:
    order = onetime_body(amount=1_000, name="n", card_quota=quota)
    body = api.error(400, "POST", "/subscribe/payments/onetime", order)
    assert (body["path"], body["expected"], body["value"]) == (
        "$input.card_quota",
        '((number & Type<"uint32">) | undefined)',
        quota,
    )
    assert fake.last_webhook() is None
    customer_uid = new_uid()
    fake.register_card(customer_uid)
    again = {key: order[key] for key in ("merchant_uid", "amount", "name", "card_quota")}
    api.error(400, "POST", "/subscribe/payments/again", {**again, "customer_uid": customer_uid})
    assert fake.last_webhook() is None


def test_generated_names_are_hangul_syllables(fake: FakeIamport) -> None:
    vbank = fake.issue_vbank(1_000, new_uid())
    names = vbank["vbank_name"][:2] + vbank["vbank_holder"]
    assert all("\uac00" <= char <= "\ud7a3" for char in names)


# --------------------------------------------------------------------------- billing charges


def test_a_payment_is_found_by_its_order(api: IamportClient, fake: FakeIamport) -> None:
    customer_uid = new_uid()
    fake.register_card(customer_uid)
    paid = api.ok("POST", "/subscribe/payments/again", again_body(customer_uid))
    order = paid["merchant_uid"]
    assert api.ok("GET", f"/payments/find/{order}") == paid
    assert api.ok("GET", f"/payments/find/{order}/paid") == paid
    api.error(404, "GET", f"/payments/find/{order}/failed")
    api.error(404, "GET", f"/payments/find/{new_uid()}")


def test_a_declined_charge_is_a_failed_payment(api: IamportClient, fake: FakeIamport) -> None:
    customer_uid = new_uid()
    fake.register_card(customer_uid)
    fake.decline_charges(customer_uid)
    declined = api.ok("POST", "/subscribe/payments/again", again_body(customer_uid))
    assert (declined["status"], declined["paid_at"]) == ("failed", 0)
    assert declined["fail_reason"].startswith("[8326]")
    assert fake.webhooks_for(declined["imp_uid"]) == []
    again = api.ok("POST", "/subscribe/payments/again", again_body(customer_uid))
    assert again["status"] == "paid"
    assert fake.charges_of(customer_uid) == 2
