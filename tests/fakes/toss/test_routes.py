"""Route behaviour beyond the original's scenarios: fields, deposit, billing, cash receipts,
the built-in webhook receiver, and the HTTP conventions (CORS, unknown routes, numbers)."""

from __future__ import annotations

import datetime

import pytest

from fake_servers.toss import FakeToss

from ..cors import PREFLIGHT, assert_preflight_allowed
from .support import (
    CARD_NUMBER,
    ISO_INSTANT,
    UUID4,
    TossClient,
    assert_card_payment,
    assert_virtual_account_payment,
    nest_error,
    not_found,
)

RECEIPT_URL = "https://github.com/samchon/fake-toss-payments-server"


# ---- payments ------------------------------------------------------------------------------


def test_key_in_builds_a_done_card_payment(client: TossClient) -> None:
    payment = client.key_in(30000, orderName="주문", cardInstallmentPlan=3, taxFreeAmount=100)

    assert_card_payment(payment)
    card = payment["card"]
    assert len(card) == 10  # these ten fields and no other
    assert (card["number"], card["installmentPlanMonths"]) == (CARD_NUMBER, 3)
    assert (card["company"], card["cardType"], card["ownerType"]) == ("신한카드", "신용", "개인")
    assert (card["isInterestFree"], card["useCardPoint"]) == (True, False)
    assert card["approveNo"] == "temporary-card-approval-number"
    assert (card["acquireStatus"], card["receiptUrl"]) == ("READY", RECEIPT_URL)
    assert (payment["status"], payment["type"]) == ("DONE", "NORMAL")
    assert payment["approvedAt"] == payment["requestedAt"]
    assert (payment["discount"], payment["easyPay"]) == (None, None)
    assert (payment["totalAmount"], payment["balanceAmount"]) == (30000, 30000)
    assert (payment["taxFreeAmount"], payment["vat"]) == (0, 0)
    assert (payment["cancels"], payment["cashReceipt"]) == (None, None)
    assert client.payment(payment["paymentKey"]) == payment


def test_key_in_explicitly_approved(client: TossClient) -> None:
    assert client.key_in(1000, __approved=True)["status"] == "DONE"


def test_key_in_path_is_not_a_payment_key(client: TossClient) -> None:
    # Static segments win: POST /v1/payments/key-in is key-in, never approval of "key-in".
    response = client.post("/v1/payments/key-in", {"orderId": "o", "amount": 1})
    assert response.status_code == 400
    assert response.json()["path"] == "$input.method"


def test_approve_again_is_allowed_and_refreshes_approved_at(
    client: TossClient, fake: FakeToss
) -> None:
    payment = client.key_in(1000)
    fake.clock.advance(0.002)
    again = client.approve(payment)
    assert again["status"] == "DONE"
    assert again["approvedAt"] > payment["approvedAt"]


def test_cancel_entry_copies_its_input(client: TossClient) -> None:
    payment = client.key_in(1000)
    cancelled = client.expect(
        client.cancel(
            payment["paymentKey"],
            cancelAmount=300,
            cancelReason="변심",
            taxFreeAmount=10,
            taxAmount=20,
            refundableAmount=999,
        ),
        201,
    )
    entry = cancelled["cancels"][0]
    assert ISO_INSTANT.match(entry.pop("canceledAt"))
    assert entry == {
        "cancelAmount": 300,
        "cancelReason": "변심",
        "taxFreeAmount": 10,
        "taxAmount": 20,
        "refundableAmount": 999,
    }


def test_cancel_uses_the_path_key_not_the_body_key(client: TossClient) -> None:
    first, second = client.key_in(1000), client.key_in(1000)
    response = client.cancel(first["paymentKey"], paymentKey=second["paymentKey"])
    assert client.expect(response, 201)["paymentKey"] == first["paymentKey"]
    assert client.payment(second["paymentKey"])["cancels"] is None


def test_cancel_works_without_refund_account_on_virtual_account(client: TossClient) -> None:
    payment = client.virtual_account(5000)
    client.deposit(payment["paymentKey"])
    cancelled = client.expect(client.cancel(payment["paymentKey"]), 201)
    assert (cancelled["status"], cancelled["balanceAmount"]) == ("CANCELED", 0)
    assert cancelled["virtualAccount"]["refundStatus"] == "NONE"


def test_virtual_account_fields(client: TossClient) -> None:
    payment = client.virtual_account(25000, bank="국민", customerName="김철수", __approved=True)

    assert_virtual_account_payment(payment)
    due = datetime.date.today() + datetime.timedelta(days=3)
    assert payment["virtualAccount"] == {
        "accountNumber": "110417532896",
        "accountType": "일반",
        "bank": "국민",
        "customerName": "김철수",
        "dueDate": due.isoformat(),
        "expired": False,
        "settlementStatus": "INCOMPLETED",
        "refundStatus": "NONE",
    }
    # `__approved` means nothing for a virtual account.
    assert (payment["status"], payment["approvedAt"]) == ("WAITING_FOR_DEPOSIT", None)


# ---- deposit -------------------------------------------------------------------------------


def test_deposit_completes_the_virtual_account(client: TossClient, fake: FakeToss) -> None:
    payment = client.virtual_account(25000)

    response = client.put(f"/internal/{payment['paymentKey']}/deposit")

    assert response.status_code == 200
    deposited = response.json()
    assert deposited["status"] == "DONE"
    assert deposited["virtualAccount"]["settlementStatus"] == "COMPLETED"
    assert ISO_INSTANT.match(deposited["approvedAt"])
    assert client.payment(payment["paymentKey"]) == deposited
    assert fake.last_webhook(payment["paymentKey"])["data"]["status"] == "DONE"


def test_deposit_can_be_repeated(client: TossClient) -> None:
    payment = client.virtual_account(1000)
    client.deposit(payment["paymentKey"])
    assert client.deposit(payment["paymentKey"])["status"] == "DONE"


def test_deposit_ignores_any_body(client: TossClient) -> None:
    payment = client.virtual_account(1000)
    for headers, data in (({"Content-Type": "application/json"}, b""), ({}, b"whatever")):
        response = client.put(
            f"/internal/{payment['paymentKey']}/deposit", headers=headers, data=data
        )
        assert response.status_code == 200


# ---- billing -------------------------------------------------------------------------------


def test_billing_registration_fields(client: TossClient) -> None:
    billing = client.register_billing("customer-1", customerEmail="a@example.com")
    assert ISO_INSTANT.match(billing["authenticatedAt"])
    assert UUID4.match(billing["billingKey"])
    assert billing == {
        "mId": "tosspyaments",
        "billingKey": billing["billingKey"],
        "method": "카드",
        "cardCompany": "신한",
        "cardNumber": CARD_NUMBER,
        "authenticatedAt": billing["authenticatedAt"],
        "customerKey": "customer-1",
    }


def test_billing_lookup_returns_the_registration(client: TossClient) -> None:
    billing = client.register_billing("customer-1")
    found = client.post(
        f"/v1/billing/authorizations/{billing['billingKey']}", {"customerKey": "customer-1"}
    )
    assert client.expect(found, 201) == billing


def test_billing_card_path_registers_rather_than_looks_up(client: TossClient) -> None:
    response = client.post("/v1/billing/authorizations/card", {"customerKey": "c"})
    assert response.status_code == 400
    assert response.json()["path"] == "$input.cardNumber"


def test_billing_payment_uses_the_registered_card(client: TossClient) -> None:
    billing = client.register_billing(cardNumber="9999888877776666")
    payment = client.pay_billing(billing["billingKey"], 5000, billingKey="ignored")
    assert payment["card"]["number"] == "9999888877776666"
    assert payment["card"]["installmentPlanMonths"] == 0
    assert (payment["status"], payment["totalAmount"]) == ("DONE", 5000)
    assert client.payment(payment["paymentKey"]) == payment


# ---- cash receipts -------------------------------------------------------------------------


def test_cash_receipt_fields_and_payment_summary(client: TossClient) -> None:
    payment = client.key_in(10000)
    receipt = client.expect(
        client.issue_receipt(
            payment,
            type="지출증빙",
            orderName="영수증 주문",
            amount=7000,
            taxFreeAmount=500,
            businessNumber="123",
        ),
        201,
    )

    assert UUID4.match(receipt["receiptKey"]) and UUID4.match(receipt["approvalNumber"])
    assert ISO_INSTANT.match(receipt["approvedAt"])
    assert receipt == {
        "receiptKey": receipt["receiptKey"],
        "type": "지출증빙",
        "orderId": payment["orderId"],
        "orderName": "영수증 주문",
        "approvalNumber": receipt["approvalNumber"],
        "approvedAt": receipt["approvedAt"],
        "canceledAt": None,
        "receiptUrl": RECEIPT_URL,
    }
    assert client.payment(payment["paymentKey"])["cashReceipt"] == {
        "type": "지출증빙",
        "amount": 7000,
        "taxFreeAmount": 500,
        "issueNumber": receipt["approvalNumber"],
        "receiptUrl": RECEIPT_URL,
    }


def test_cash_receipt_cancel(client: TossClient) -> None:
    payment = client.key_in(10000)
    receipt = client.expect(client.issue_receipt(payment), 201)

    cancelled = client.expect(
        client.post(f"/v1/cash-receipts/{receipt['receiptKey']}/cancel", {"amount": 1}), 201
    )

    assert ISO_INSTANT.match(cancelled["canceledAt"])
    assert {**cancelled, "canceledAt": None} == receipt
    assert client.payment(payment["paymentKey"])["cashReceipt"] is None
    # With the receipt gone, a new one may be issued.
    client.expect(client.issue_receipt(payment), 201)


def test_cash_receipt_cancel_can_be_repeated(client: TossClient, fake: FakeToss) -> None:
    payment = client.key_in(10000)
    receipt = client.expect(client.issue_receipt(payment), 201)
    path = f"/v1/cash-receipts/{receipt['receiptKey']}/cancel"
    first = client.expect(client.post(path, {}), 201)
    fake.clock.advance(0.002)
    second = client.expect(client.post(path, {}), 201)
    assert second["canceledAt"] > first["canceledAt"]


def test_cash_receipt_cancel_after_payment_purge_is_404(client: TossClient, fake: FakeToss) -> None:
    payment = client.key_in(10000)
    receipt = client.expect(client.issue_receipt(payment), 201)
    fake.set_expiration(capacity=1)
    client.key_in(10000)  # evicts the payment; the receipt store is untouched

    response = client.post(f"/v1/cash-receipts/{receipt['receiptKey']}/cancel", {})

    assert (response.status_code, response.json()) == (404, not_found(payment["paymentKey"]))
    assert fake.state.cash_receipts.get(receipt["receiptKey"]).record["canceledAt"] is None


def test_cash_receipt_ignores_payment_status(client: TossClient) -> None:
    payment = client.key_in(10000)
    client.expect(client.cancel(payment["paymentKey"]), 201)
    client.expect(client.issue_receipt(payment), 201)


# ---- the built-in webhook receiver ---------------------------------------------------------


def test_receiver_records_and_answers_empty(client: TossClient, fake: FakeToss) -> None:
    payment = client.key_in(1000)
    webhook = {
        "eventType": "PAYMENT_STATUS_CHANGED",
        "data": {"paymentKey": payment["paymentKey"], "orderId": "whatever", "status": "DONE"},
        "extra": True,
    }

    response = client.post("/internal/webhook", webhook, headers={"Authorization": ""})

    assert response.status_code == 201
    assert response.content == b""
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Content-Length"] == "0"
    assert fake.received_webhook(payment["paymentKey"]) == webhook


def test_receiver_refuses_unknown_payment(client: TossClient, fake: FakeToss) -> None:
    webhook = {
        "eventType": "PAYMENT_STATUS_CHANGED",
        "data": {"paymentKey": "missing", "orderId": "o", "status": "DONE"},
    }
    response = client.post("/internal/webhook", webhook)
    assert (response.status_code, response.json()) == (404, not_found("missing"))
    assert fake.received_webhook("missing") is None


# ---- HTTP conventions ----------------------------------------------------------------------


def test_every_answer_allows_any_origin(client: TossClient) -> None:
    ok = client.post("/v1/payments/key-in", {"method": "x"})
    missing = client.get("/v1/payments/missing")
    for response in (ok, missing):
        assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_preflight(client: TossClient) -> None:
    assert_preflight_allowed(client.request("OPTIONS", "/v1/payments/key-in", headers=PREFLIGHT))


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/unknown"),
        ("DELETE", "/v1/payments/abc"),
        ("GET", "/internal/abc/deposit"),
        ("GET", "/v1/payments/key-in/"),
        ("POST", "/v1/payments"),
    ],
)
def test_unknown_route_is_404(client: TossClient, method: str, path: str) -> None:
    response = client.request(method, path)
    assert response.status_code == 404
    assert response.json() == nest_error(404, f"Cannot {method} {path}")


def test_query_strings_are_ignored(client: TossClient) -> None:
    payment = client.key_in(1000)
    assert client.get(f"/v1/payments/{payment['paymentKey']}?x=1").json() == payment


def test_amounts_are_echoed_as_javascript_prints_them(client: TossClient) -> None:
    integral = client.post(
        "/v1/payments/key-in",
        data=(
            b'{"method":"card","cardNumber":"1111222233334444","cardExpirationYear":"24",'
            b'"cardExpirationMonth":"03","orderId":"o","amount":8000.0}'
        ),
        headers={"Content-Type": "application/json"},
    )
    assert integral.status_code == 201
    assert b'"totalAmount":8000,' in integral.content
    fractional = client.key_in(0.5)
    assert fractional["totalAmount"] == 0.5


def test_responses_are_utf8_json(client: TossClient) -> None:
    response = client.post("/v1/virtual-accounts", {"method": "virtual-account"})
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    payment = client.key_in(1000)
    raw = client.get(f"/v1/payments/{payment['paymentKey']}").content
    assert "카드".encode() in raw
