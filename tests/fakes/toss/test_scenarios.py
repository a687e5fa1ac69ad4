"""The original fake's own feature tests (docs/fake-toss.md §14), ported to HTTP against the
Python fake.

Where the original waited for the webhook to reach its receiver before checking the recorded
status, these read the webhook recorded at send time, so no test sleeps for delivery.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from fake_servers.toss import FakeToss

from .support import (
    CARD_NUMBER,
    REFUND_ACCOUNT,
    Json,
    TossClient,
    assert_card_payment,
    assert_payment,
    assert_virtual_account_payment,
    cancelled_sum,
    nest_error,
    not_found,
    order_id,
)

Generator = Callable[[TossClient], Json]


def billing_scenario(client: TossClient) -> Json:
    billing = client.register_billing(
        "some-consumer-key",
        cardNumber=CARD_NUMBER,
        cardExpirationYear="28",
        cardExpirationMonth="03",
        cardPassword="99",
        customerBirthday="880311",
    )
    return client.pay_billing(billing["billingKey"], 10000, customerKey=str(uuid.uuid4()))


def card_scenario(client: TossClient) -> Json:
    payment = client.key_in(30000, __approved=False)
    return client.approve(payment)


def virtual_account_scenario(client: TossClient) -> Json:
    payment = client.virtual_account(25000, orderName="홍길동의 주문", __approved=False)
    client.approve(payment)
    return client.deposit(payment["paymentKey"])


SCENARIOS = {
    "billing": (billing_scenario, False),
    "card": (card_scenario, False),
    "virtual_account": (virtual_account_scenario, True),
}


def cancel_options(virtual: bool) -> Json:
    return {"refundReceiveAccount": REFUND_ACCOUNT} if virtual else {}


def test_fake_billing_payment(client: TossClient) -> None:
    billing = client.register_billing("some-consumer-key")
    assert billing["customerKey"] == "some-consumer-key"
    assert billing["cardNumber"] == CARD_NUMBER

    payment = client.pay_billing(billing["billingKey"], 10000, customerKey=str(uuid.uuid4()))

    assert_card_payment(payment)
    assert payment["status"] == "DONE"
    assert payment["approvedAt"] is not None
    assert payment["totalAmount"] == payment["balanceAmount"] == 10000
    assert payment["card"]["number"] == CARD_NUMBER


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_fake_payment_cancel(name: str, client: TossClient, fake: FakeToss) -> None:
    generate, virtual = SCENARIOS[name]
    payment = generate(client)
    total = payment["totalAmount"]
    assert payment["balanceAmount"] == total
    assert payment["cancels"] is None

    cancelled = client.expect(
        client.cancel(payment["paymentKey"], cancelAmount=total, **cancel_options(virtual)), 201
    )

    for current in (cancelled, client.payment(payment["paymentKey"])):
        assert_payment(current)
        assert current["status"] == "CANCELED"
        assert current["balanceAmount"] == 0
        assert len(current["cancels"]) == 1
        assert cancelled_sum(current) == total
    assert fake.last_webhook(payment["paymentKey"]) == {
        "eventType": "PAYMENT_STATUS_CHANGED",
        "data": {
            "paymentKey": payment["paymentKey"],
            "orderId": payment["orderId"],
            "status": "CANCELED",
        },
    }
    assert fake.drain_webhooks()
    assert fake.received_webhook(payment["paymentKey"])["data"]["status"] == "CANCELED"


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_fake_payment_cancel_over(name: str, client: TossClient) -> None:
    generate, virtual = SCENARIOS[name]
    payment = generate(client)

    response = client.cancel(
        payment["paymentKey"],
        cancelAmount=payment["totalAmount"] + 100,
        **cancel_options(virtual),
    )

    assert response.status_code == 422
    assert response.json() == nest_error(422, "Balance amount is not enough.")
    reloaded = client.payment(payment["paymentKey"])
    assert_payment(reloaded)
    assert reloaded == payment


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_fake_payment_cancel_partial(name: str, client: TossClient, fake: FakeToss) -> None:
    generate, virtual = SCENARIOS[name]
    payment = generate(client)
    total = payment["totalAmount"]
    assert payment["cancels"] is None
    piece = total / 5

    for k in range(1, 6):
        current = client.expect(
            client.cancel(payment["paymentKey"], cancelAmount=piece, **cancel_options(virtual)),
            201,
        )
        status = "PARTIAL_CANCELED" if k < 5 else "CANCELED"
        assert_payment(current)
        assert current["balanceAmount"] == total - k * piece
        assert cancelled_sum(current) == k * piece
        assert len(current["cancels"]) == k
        assert current["status"] == status
        assert fake.last_webhook(payment["paymentKey"])["data"]["status"] == status


def test_fake_card_payment(client: TossClient) -> None:
    payment = client.key_in(30000, cardExpirationYear="24", __approved=False)
    assert_card_payment(payment)
    assert payment["status"] == "IN_PROGRESS"
    assert payment["approvedAt"] is None
    path = f"/v1/payments/{payment['paymentKey']}"

    wrong_order = client.post(path, {"orderId": order_id(), "amount": 30000})
    wrong_price = client.post(path, {"orderId": payment["orderId"], "amount": 30000 - 100})
    approved = client.approve(payment)

    assert (wrong_order.status_code, wrong_order.json()) == (422, nest_error(422, "Wrong orderId"))
    assert (wrong_price.status_code, wrong_price.json()) == (422, nest_error(422, "Wrong price."))
    assert_card_payment(approved)
    assert approved["status"] == "DONE"
    assert approved["approvedAt"] is not None


def test_fake_cash_receipt(client: TossClient) -> None:
    payment = virtual_account_scenario(client)

    receipt = client.expect(client.issue_receipt(payment), 201)
    reloaded = client.payment(payment["paymentKey"])

    assert reloaded["cashReceipt"]["receiptUrl"] == receipt["receiptUrl"]
    assert reloaded["cashReceipt"]["issueNumber"] == receipt["approvalNumber"]
    assert receipt["orderId"] == payment["orderId"]
    assert receipt["type"] == "소득공제"


def assert_each_payment_pushes_out_the_previous(
    client: TossClient, new_payment: Callable[[str], Json]
) -> None:
    """Ten payments made in turn, each with a new card number: each makes the one before it
    unreadable (404) and is readable itself (reads never purge: only the next insert does)."""
    previous: Json | None = None
    for _ in range(10):
        payment = new_payment(f"{uuid.uuid4().int % 10**16:016d}")
        if previous is not None:
            gone = client.get(f"/v1/payments/{previous['paymentKey']}")
            assert (gone.status_code, gone.json()) == (404, not_found(previous["paymentKey"]))
        assert client.payment(payment["paymentKey"])["paymentKey"] == payment["paymentKey"]
        previous = payment


def test_fake_storage_capacity(client: TossClient, fake: FakeToss) -> None:
    fake.set_expiration(capacity=1)

    def billed(card: str) -> Json:
        billing = client.register_billing(cardNumber=card, customerBirthday="880311")
        payment = client.pay_billing(billing["billingKey"], 100)
        assert client.approve(payment)["status"] == "DONE"
        return payment

    assert_each_payment_pushes_out_the_previous(client, billed)


def test_fake_storage_expiration_time(client: TossClient, fake: FakeToss) -> None:
    fake.set_expiration(seconds=0.001)

    def keyed_in_then_expired(card: str) -> Json:
        payment = client.key_in(1000, cardNumber=card)
        fake.clock.advance(0.002)
        return payment

    assert_each_payment_pushes_out_the_previous(client, keyed_in_then_expired)


def test_fake_virtual_account_payment(client: TossClient, fake: FakeToss) -> None:
    payment = client.virtual_account(25000, orderName="홍길동의 주문", __approved=False)
    assert_virtual_account_payment(payment)
    assert payment["status"] == "WAITING_FOR_DEPOSIT"

    approved = client.approve(payment)
    assert_virtual_account_payment(approved)
    assert approved["status"] == "WAITING_FOR_DEPOSIT"

    client.deposit(payment["paymentKey"])
    reloaded = client.payment(payment["paymentKey"])

    assert reloaded["status"] == "DONE"
    assert fake.last_webhook(payment["paymentKey"])["data"]["status"] == "DONE"
    assert fake.drain_webhooks()
    assert fake.received_webhook(payment["paymentKey"])["data"]["status"] == "DONE"
