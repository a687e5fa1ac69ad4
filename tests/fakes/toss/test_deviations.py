"""Each deliberate difference from the original fake (listed in fake_servers/README.md)."""

from __future__ import annotations

from typing import Any

import pytest

from fake_servers.toss import FakeToss

from .support import TossClient, cancelled_sum, nest_error, order_id

ALREADY_CANCELED = nest_error(422, "Already canceled payment.")


@pytest.fixture
def elsewhere(fake: FakeToss) -> None:
    """Webhooks to a port nobody listens on, so nothing but the routes can change a status."""
    fake.webhook_url = "http://127.0.0.1:9/webhook"


@pytest.mark.usefixtures("elsewhere")
def test_partial_cancel_is_partial_canceled_at_once(client: TossClient) -> None:
    payment = client.key_in(10000)

    response = client.expect(client.cancel(payment["paymentKey"], cancelAmount=3000), 201)

    assert response["status"] == "PARTIAL_CANCELED"
    assert client.payment(payment["paymentKey"])["status"] == "PARTIAL_CANCELED"


@pytest.mark.usefixtures("elsewhere")
def test_cancel_without_amount_refunds_the_remaining_balance(client: TossClient) -> None:
    payment = client.key_in(10000)
    client.expect(client.cancel(payment["paymentKey"], cancelAmount=3000), 201)

    rest = client.expect(client.cancel(payment["paymentKey"]), 201)

    assert rest["cancels"][-1]["cancelAmount"] == 7000
    assert (rest["status"], rest["balanceAmount"], cancelled_sum(rest)) == ("CANCELED", 0, 10000)


def test_cancel_of_a_fully_canceled_payment_is_refused(client: TossClient) -> None:
    payment = client.key_in(10000)
    client.expect(client.cancel(payment["paymentKey"]), 201)

    response = client.cancel(payment["paymentKey"])

    assert (response.status_code, response.json()) == (
        422,
        nest_error(422, "Balance amount is not enough."),
    )
    assert len(client.payment(payment["paymentKey"])["cancels"]) == 1


def test_cancel_above_the_remaining_balance_is_refused(client: TossClient) -> None:
    payment = client.key_in(10000)
    client.expect(client.cancel(payment["paymentKey"], cancelAmount=6000), 201)

    response = client.cancel(payment["paymentKey"], cancelAmount=5000)

    assert response.status_code == 422
    assert client.payment(payment["paymentKey"])["balanceAmount"] == 4000


def test_refundable_amount_defaults_to_the_balance_left(client: TossClient) -> None:
    payment = client.key_in(10000)
    first = client.expect(client.cancel(payment["paymentKey"], cancelAmount=2500), 201)
    second = client.expect(client.cancel(payment["paymentKey"], cancelAmount=2500), 201)
    assert [c["refundableAmount"] for c in second["cancels"]] == [7500, 5000]
    assert first["cancels"][0]["refundableAmount"] == 7500


@pytest.mark.parametrize("amount", [0, -100, -0.5])
def test_cancel_amount_must_be_positive(client: TossClient, amount: float) -> None:
    payment = client.key_in(10000)
    response = client.cancel(payment["paymentKey"], cancelAmount=amount)
    assert response.status_code == 400
    assert response.json()["path"] == "$input.cancelAmount"
    assert response.json()["expected"] == "((number & ExclusiveMinimum<0>) | undefined)"
    assert client.payment(payment["paymentKey"])["balanceAmount"] == 10000


def _payment_creations(client: TossClient, amount: float) -> dict[str, Any]:
    billing = client.register_billing()
    card = {
        "method": "card",
        "cardNumber": "1111222233334444",
        "cardExpirationYear": "24",
        "cardExpirationMonth": "03",
        "orderId": "o",
        "amount": amount,
    }
    account = {
        "method": "virtual-account",
        "orderId": "o",
        "orderName": "n",
        "bank": "신한",
        "customerName": "홍길동",
        "amount": amount,
    }
    charge = {
        "method": "billing",
        "billingKey": billing["billingKey"],
        "customerKey": "c",
        "orderId": "o",
        "amount": amount,
    }
    return {
        "/v1/payments/key-in": card,
        "/v1/virtual-accounts": account,
        f"/v1/billing/{billing['billingKey']}": charge,
    }


@pytest.mark.parametrize("amount", [0, -1000])
def test_payment_amount_must_be_positive(client: TossClient, fake: FakeToss, amount: float) -> None:
    for path, body in _payment_creations(client, amount).items():
        response = client.post(path, body)
        assert response.status_code == 400, path
        assert (response.json()["path"], response.json()["value"]) == ("$input.amount", amount)
    assert len(fake.state.payments) == 0


def test_cash_receipt_amount_must_be_positive(client: TossClient) -> None:
    payment = client.key_in(1000)
    response = client.issue_receipt(payment, amount=0)
    assert (response.status_code, response.json()["path"]) == (400, "$input.amount")


def test_approving_a_canceled_payment_is_refused(client: TossClient) -> None:
    payment = client.key_in(1000, __approved=False)
    client.approve(payment)
    client.expect(client.cancel(payment["paymentKey"], cancelAmount=100), 201)

    response = client.post(
        f"/v1/payments/{payment['paymentKey']}",
        {"orderId": payment["orderId"], "amount": 1000},
    )

    assert (response.status_code, response.json()) == (422, ALREADY_CANCELED)
    assert client.payment(payment["paymentKey"])["status"] == "PARTIAL_CANCELED"


def test_deposit_into_a_canceled_virtual_account_is_refused(client: TossClient) -> None:
    payment = client.virtual_account(1000)
    client.expect(client.cancel(payment["paymentKey"]), 201)

    response = client.put(f"/internal/{payment['paymentKey']}/deposit")

    assert (response.status_code, response.json()) == (422, ALREADY_CANCELED)
    reloaded = client.payment(payment["paymentKey"])
    assert reloaded["status"] == "CANCELED"
    assert reloaded["virtualAccount"]["settlementStatus"] == "INCOMPLETED"


def test_order_name_is_echoed(client: TossClient) -> None:
    assert client.key_in(1000, orderName="운동화")["orderName"] == "운동화"
    assert client.virtual_account(1000, orderName="청바지")["orderName"] == "청바지"
    # Without one (key-in may omit it; billing has none), the original's "test" remains.
    assert client.key_in(1000)["orderName"] == "test"
    billing = client.register_billing()
    assert client.pay_billing(billing["billingKey"])["orderName"] == "test"


def test_billing_payment_has_type_billing(client: TossClient) -> None:
    billing = client.register_billing()
    assert client.pay_billing(billing["billingKey"])["type"] == "BILLING"
    assert client.key_in(1000)["type"] == "NORMAL"


def test_a_payment_is_found_by_its_order(client: TossClient) -> None:
    # Real Toss's `GET /v1/payments/orders/{orderId}`, which the original fake lacks.
    billing = client.register_billing()
    paid = client.pay_billing(billing["billingKey"], orderId="order-1234")
    found = client.get("/v1/payments/orders/order-1234")
    assert (found.status_code, found.json()) == (200, paid)
    missing = client.get("/v1/payments/orders/nobody")
    assert (missing.status_code, missing.json()["code"]) == (404, "NOT_FOUND_PAYMENT")


def test_a_declined_billing_charge_records_nothing(client: TossClient, fake: FakeToss) -> None:
    billing = client.register_billing()
    fake.decline_charges(billing["billingKey"])
    declined = client.post(
        f"/v1/billing/{billing['billingKey']}",
        {
            "method": "billing",
            "billingKey": billing["billingKey"],
            "customerKey": "some-consumer-key",
            "orderId": "order-5678",
            "amount": 1000,
        },
    )
    assert declined.status_code == 403
    assert declined.json()["code"] == "REJECT_CARD_PAYMENT"
    assert client.get("/v1/payments/orders/order-5678").status_code == 404
    assert client.pay_billing(billing["billingKey"], orderId="order-5678")["status"] == "DONE"
    assert fake.charges_of(billing["billingKey"]) == 2


def test_canceling_an_old_receipt_keeps_the_newer_one(client: TossClient) -> None:
    payment = client.key_in(10000)
    old = client.expect(client.issue_receipt(payment), 201)
    client.expect(client.post(f"/v1/cash-receipts/{old['receiptKey']}/cancel", {}), 201)
    new = client.expect(client.issue_receipt(payment), 201)

    client.expect(client.post(f"/v1/cash-receipts/{old['receiptKey']}/cancel", {}), 201)

    summary = client.payment(payment["paymentKey"])["cashReceipt"]
    assert summary is not None
    assert summary["issueNumber"] == new["approvalNumber"]


def test_receiver_does_not_change_the_payment_status(client: TossClient, fake: FakeToss) -> None:
    payment = client.key_in(1000)
    webhook = {
        "eventType": "PAYMENT_STATUS_CHANGED",
        "data": {"paymentKey": payment["paymentKey"], "orderId": "o", "status": "CANCELED"},
    }
    assert client.post("/internal/webhook", webhook).status_code == 201
    assert client.payment(payment["paymentKey"])["status"] == "DONE"
    assert fake.received_webhook(payment["paymentKey"]) == webhook


def test_late_webhook_cannot_undo_a_deposit(client: TossClient, fake: FakeToss) -> None:
    # The original's receiver wrote WAITING_FOR_DEPOSIT back when that webhook arrived after
    # an immediate deposit; here the deposit's DONE stands whatever the delivery order.
    for _ in range(20):
        payment = client.virtual_account(1000)
        client.deposit(payment["paymentKey"])
        assert client.payment(payment["paymentKey"])["status"] == "DONE"
    assert fake.drain_webhooks()
    for payment in fake.state.payments.values():
        assert payment["status"] == "DONE"


def test_default_webhook_target_is_the_actual_port() -> None:
    with FakeToss(port=0) as other:
        assert other.port != 30771
        assert other.webhook_url == f"http://127.0.0.1:{other.port}/internal/webhook"
        payment = other.issue_virtual_account(1000, order_id())
        assert other.drain_webhooks()
        assert other.received_webhook(payment["paymentKey"]) == other.last_webhook(
            payment["paymentKey"]
        )


def test_capacity_lowered_below_the_size_still_evicts(client: TossClient, fake: FakeToss) -> None:
    payments = [client.key_in(1000) for _ in range(5)]
    fake.set_expiration(capacity=2)

    latest = client.key_in(1000)

    assert len(fake.state.payments) == 2
    for gone in payments[:4]:
        assert client.get(f"/v1/payments/{gone['paymentKey']}").status_code == 404
    for kept in (payments[4], latest):
        assert client.get(f"/v1/payments/{kept['paymentKey']}").status_code == 200
