"""The in-process API of `FakeToss`: lifecycle, and the shortcuts that skip HTTP."""

from __future__ import annotations

import pytest

from fake_servers.common.http import HttpError, RawError
from fake_servers.toss import FakeToss, create_app

from .support import TossClient, assert_card_payment, assert_virtual_account_payment


def test_url_needs_a_started_fake() -> None:
    fake = FakeToss()
    with pytest.raises(RuntimeError):
        _ = fake.url
    assert fake.webhook_url is None
    fake.webhook_url = "http://example.invalid/hook"
    assert fake.webhook_url == "http://example.invalid/hook"


def test_start_stop_and_context_manager() -> None:
    fake = FakeToss().start()
    try:
        assert fake.start() is fake  # starting twice is harmless
        assert TossClient(fake.url).get("/v1/payments/x").status_code == 404
    finally:
        fake.stop()
    fake.stop()  # and so is stopping twice


def test_create_app_serves_through_the_flask_test_client() -> None:
    fake = FakeToss()
    app = create_app(fake)
    payment = fake.pay_by_card(1000, "order-1")
    response = app.test_client().get(
        f"/v1/payments/{payment['paymentKey']}",
        headers={"Authorization": "Basic dGVzdF9ha19aT1J6ZE1hcU4zd1FkNWs2eWdyNUFrWVhRR3d5Og=="},
    )
    assert (response.status_code, response.get_json()) == (200, payment)


def test_shortcuts_share_the_state_with_http(client: TossClient, fake: FakeToss) -> None:
    card = fake.pay_by_card(30000, "order-1", approved=False, installment_months=2)
    assert_card_payment(card)
    assert (card["status"], card["card"]["installmentPlanMonths"]) == ("IN_PROGRESS", 2)
    assert client.payment(card["paymentKey"]) == card

    approved = fake.approve(card["paymentKey"], "order-1", 30000)
    assert approved["status"] == "DONE"
    cancelled = fake.cancel(card["paymentKey"], amount=1000)
    assert (cancelled["status"], cancelled["balanceAmount"]) == ("PARTIAL_CANCELED", 29000)
    assert fake.cancel(card["paymentKey"])["balanceAmount"] == 0
    assert fake.payment(card["paymentKey"]) == client.payment(card["paymentKey"])


def test_virtual_account_shortcuts(fake: FakeToss) -> None:
    account = fake.issue_virtual_account(25000, "order-2", bank="국민", order_name="주문")
    assert_virtual_account_payment(account)
    assert (account["virtualAccount"]["bank"], account["orderName"]) == ("국민", "주문")
    assert fake.last_webhook(account["paymentKey"])["data"]["status"] == "WAITING_FOR_DEPOSIT"

    deposited = fake.deposit(account["paymentKey"])

    assert deposited["status"] == "DONE"
    assert fake.last_webhook(account["paymentKey"])["data"]["status"] == "DONE"


def test_billing_shortcuts(client: TossClient, fake: FakeToss) -> None:
    billing = fake.register_billing("customer-9", card_number="4444333322221111")
    found = client.post(
        f"/v1/billing/authorizations/{billing['billingKey']}", {"customerKey": "customer-9"}
    )
    assert client.expect(found, 201) == billing

    payment = fake.pay_by_billing(billing["billingKey"], 9900, "order-3")

    assert (payment["status"], payment["type"]) == ("DONE", "BILLING")
    assert payment["card"]["number"] == "4444333322221111"


def test_cash_receipt_shortcuts(fake: FakeToss) -> None:
    payment = fake.pay_by_card(5000, "order-4")
    receipt = fake.issue_cash_receipt(payment["paymentKey"])
    assert fake.payment(payment["paymentKey"])["cashReceipt"]["amount"] == 5000

    cancelled = fake.cancel_cash_receipt(receipt["receiptKey"])

    assert cancelled["canceledAt"] is not None
    assert fake.payment(payment["paymentKey"])["cashReceipt"] is None


def test_shortcuts_raise_the_routes_errors(fake: FakeToss) -> None:
    payment = fake.pay_by_card(5000, "order-5")
    with pytest.raises(HttpError) as wrong:
        fake.approve(payment["paymentKey"], "order-5", 1)
    assert (wrong.value.status, wrong.value.message) == (422, "Wrong price.")
    with pytest.raises(HttpError) as missing:
        fake.deposit("missing")
    assert missing.value.status == 404
    with pytest.raises(RawError) as invalid:
        fake.pay_by_card(0, "order-6")
    assert invalid.value.body["path"] == "$input.amount"


def test_returned_objects_are_copies(fake: FakeToss) -> None:
    payment = fake.pay_by_card(5000, "order-7")
    payment["status"] = "CANCELED"
    payment["card"]["number"] = "changed"
    stored = fake.payment(payment["paymentKey"])
    assert (stored["status"], stored["card"]["number"]) == ("DONE", "1111222233334444")


def test_busy_port_raises_os_error(fake: FakeToss) -> None:
    with pytest.raises(OSError, match=f"cannot listen on 127.0.0.1:{fake.port}"):
        FakeToss(port=fake.port).start()
