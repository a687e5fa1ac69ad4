"""The three payments every scenario of the original test suite starts from, made through HTTP."""

from __future__ import annotations

import random
import string
import time
from typing import Any

from fake_servers.iamport import FakeIamport

from .helpers import (
    IamportClient,
    again_body,
    assert_payment,
    new_uid,
    onetime_body,
    random_card_number,
    vbank_body,
    webhook_of,
)

CARD_AMOUNT = 25_000
SUBSCRIPTION_AMOUNT = 10_000
VBANK_AMOUNT = 40_000


def card_payment(api: IamportClient, fake: FakeIamport) -> dict[str, Any]:
    """Scenario 1: a onetime card payment of 25,000, paid at once."""
    merchant_uid = new_uid()
    order = onetime_body(
        card_number=random_card_number(), merchant_uid=merchant_uid, amount=CARD_AMOUNT
    )
    payment = api.ok("POST", "/subscribe/payments/onetime", order)
    assert_payment(payment, "card")
    assert payment["status"] == "paid"
    assert fake.last_webhook() == webhook_of(payment["imp_uid"], merchant_uid, "paid")
    reloaded = reloaded_paid(api, payment["imp_uid"], "card")
    assert reloaded["cancel_amount"] == 0
    assert reloaded["cancelled_at"] == 0
    assert reloaded["cancel_history"] == []
    return reloaded


def subscription_payment(api: IamportClient, fake: FakeIamport) -> dict[str, Any]:
    """Scenario 7: save a card under a new customer_uid, then charge it 10,000."""
    customer_uid = new_uid()
    card_number = random_card_number()
    subscription = api.ok(
        "POST",
        f"/subscribe/customers/{customer_uid}",
        {
            "customer_uid": customer_uid,
            "card_number": card_number,
            "expiry": "2028-12",
            "birth": "880311",
        },
    )
    assert subscription["customer_uid"] == customer_uid
    assert subscription["card_number"] == card_number

    merchant_uid = new_uid()
    order = again_body(customer_uid, merchant_uid=merchant_uid, amount=SUBSCRIPTION_AMOUNT)
    payment = api.ok("POST", "/subscribe/payments/again", order)
    assert fake.last_webhook() == webhook_of(payment["imp_uid"], merchant_uid, "paid")
    reloaded = reloaded_paid(api, payment["imp_uid"], "card")
    assert reloaded["card_number"] == card_number
    assert reloaded["card_code"] == subscription["card_code"]
    assert reloaded["customer_uid"] == customer_uid
    assert reloaded["customer_uid_usage"] == "issue"
    # Buyer data left out of the charge comes from the saved card's customer.
    assert reloaded["buyer_name"] == subscription["customer_name"]
    assert reloaded["buyer_email"] == subscription["customer_email"]
    return reloaded


def vbank_payment(api: IamportClient, fake: FakeIamport) -> dict[str, Any]:
    """Scenario 12: issue a 40,000 virtual account, then deposit into it."""
    due = time.time() + 7 * 24 * 60 * 60
    code = "".join(random.choices(string.ascii_lowercase, k=8))
    account = vbank_body(amount=VBANK_AMOUNT, vbank_code=code, vbank_due=due, vbank_holder="홍길동")
    ready = api.ok("POST", "/vbanks", account)
    assert_payment(ready, "vbank")
    assert ready["status"] == "ready"
    assert ready["paid_at"] == 0
    assert ready["vbank_date"] == due
    webhook = fake.last_webhook()
    assert webhook is not None
    assert (webhook["imp_uid"], webhook["status"]) == (ready["imp_uid"], "ready")
    reloaded = api.ok("GET", f"/payments/{ready['imp_uid']}")
    assert_payment(reloaded, "vbank")
    assert reloaded["status"] == "ready"

    reply = api.request("PUT", f"/internal/deposit/{ready['imp_uid']}")
    assert reply.status_code == 200
    assert reply.content == b""
    assert reply.headers["Content-Type"] == "application/json"
    webhook = fake.last_webhook()
    assert webhook is not None
    assert (webhook["imp_uid"], webhook["status"]) == (ready["imp_uid"], "paid")
    return reloaded_paid(api, ready["imp_uid"], "vbank")


def reloaded_paid(api: IamportClient, imp_uid: str, pay_method: str) -> dict[str, Any]:
    """Payment `imp_uid` as GET /payments answers it, checked to be paid."""
    reloaded = api.ok("GET", f"/payments/{imp_uid}")
    assert_payment(reloaded, pay_method)
    assert reloaded["status"] == "paid"
    assert reloaded["paid_at"] != 0
    return reloaded
