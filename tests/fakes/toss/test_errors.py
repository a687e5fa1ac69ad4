"""Error answers (docs/fake-toss.md §4): handler errors, body parsing, and schema violations."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .support import REFUND_ACCOUNT, TossClient, nest_error, not_found, order_id

INVALID = "Request body data is not following the promised type."


def expect_error(response: Any, status: int, message: str) -> None:
    assert (response.status_code, response.json()) == (status, nest_error(status, message))


def violation(response: Any) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["message"] == INVALID
    assert body["reason"] == (
        f"Error on core.TypedBody(): invalid type on {body['path']}, "
        f"expect to be {body['expected']}"
    )
    return body


# ---- handler errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/v1/payments/missing", None),
        ("POST", "/v1/payments/missing", {"orderId": "o", "amount": 1}),
        ("POST", "/v1/payments/missing/cancel", {"paymentKey": "missing", "cancelReason": "r"}),
        ("PUT", "/internal/missing/deposit", None),
        ("POST", "/v1/billing/authorizations/missing", {"customerKey": "c"}),
        (
            "POST",
            "/v1/billing/missing",
            {
                "method": "billing",
                "billingKey": "b",
                "customerKey": "c",
                "orderId": "o",
                "amount": 1,
            },
        ),
        ("POST", "/v1/cash-receipts/missing/cancel", {}),
    ],
)
def test_unknown_key_is_404(client: TossClient, method: str, path: str, body: Any) -> None:
    response = client.request(method, path, json=body)
    assert (response.status_code, response.json()) == (404, not_found("missing"))


def test_cash_receipt_for_unknown_payment_is_404(client: TossClient) -> None:
    response = client.issue_receipt(
        {"paymentKey": "missing", "orderId": "o", "orderName": "n", "totalAmount": 100}
    )
    assert (response.status_code, response.json()) == (404, not_found("missing"))


def test_real_toss_routes_the_fake_lacks_are_not_found(client: TossClient) -> None:
    # `confirm` is taken for a payment key by the approve route.
    confirm = client.post("/v1/payments/confirm", {"orderId": "o", "amount": 1})
    assert (confirm.status_code, confirm.json()) == (404, not_found("confirm"))


def test_approve_checks_order_before_price(client: TossClient) -> None:
    payment = client.key_in(1000, __approved=False)
    response = client.post(f"/v1/payments/{payment['paymentKey']}", {"orderId": "x", "amount": 1})
    expect_error(response, 422, "Wrong orderId")


def test_approve_compares_with_total_amount(client: TossClient) -> None:
    payment = client.key_in(1000, __approved=False)
    client.expect(client.cancel(payment["paymentKey"], cancelAmount=400), 201)
    # The balance is now 600; only the total is the right price.
    response = client.post(
        f"/v1/payments/{payment['paymentKey']}", {"orderId": payment["orderId"], "amount": 600}
    )
    expect_error(response, 422, "Wrong price.")


def test_cancel_over_balance_is_422(client: TossClient) -> None:
    payment = client.key_in(1000)
    expect_error(
        client.cancel(payment["paymentKey"], cancelAmount=1001),
        422,
        "Balance amount is not enough.",
    )


def test_deposit_on_card_payment_is_invalid_target(client: TossClient) -> None:
    payment = client.key_in(1000)
    expect_error(client.put(f"/internal/{payment['paymentKey']}/deposit"), 422, "Invalid target.")


def test_billing_lookup_by_another_customer_is_forbidden(client: TossClient) -> None:
    billing = client.register_billing("customer-a")
    response = client.post(
        f"/v1/billing/authorizations/{billing['billingKey']}", {"customerKey": "customer-b"}
    )
    expect_error(response, 403, "Different customer.")


def test_cash_receipt_with_other_order_is_404(client: TossClient) -> None:
    payment = client.key_in(1000)
    expect_error(client.issue_receipt(payment, orderId="other"), 404, "Wrong orderId")


def test_second_cash_receipt_is_duplicated(client: TossClient) -> None:
    payment = client.key_in(1000)
    client.expect(client.issue_receipt(payment), 201)
    expect_error(client.issue_receipt(payment), 422, "Duplicated cash receipt exists.")


def test_cash_receipt_above_payment_is_422(client: TossClient) -> None:
    payment = client.key_in(1000)
    expect_error(
        client.issue_receipt(payment, amount=1001), 422, "Input amount is greater than its payment."
    )


# ---- body parsing --------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_body_must_be_json(client: TossClient, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.request("POST", "/v1/payments/key-in", data=b'{"a":1}', headers=headers)
    expect_error(response, 400, 'Request body type is not "application/json".')


def test_missing_body_on_body_route_is_400(client: TossClient) -> None:
    response = client.request("POST", "/v1/cash-receipts/any/cancel")
    expect_error(response, 400, 'Request body type is not "application/json".')


def test_empty_json_body_is_fastify_400(client: TossClient) -> None:
    response = client.request(
        "POST", "/v1/payments/key-in", data=b"", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json() == {
        "statusCode": 400,
        "message": "Body cannot be empty when content-type is set to 'application/json'",
    }


@pytest.mark.parametrize("raw", [b"{", b"{a:1}", b"[1,]", b"\xff\xfe", b"nul"])
def test_malformed_json_is_400(client: TossClient, raw: bytes) -> None:
    response = client.request(
        "POST",
        "/v1/payments/key-in",
        data=raw,
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 400
    body = response.json()
    assert list(body) == ["message", "error", "statusCode"]
    assert (body["error"], body["statusCode"]) == ("Bad Request", 400)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_json_numbers_are_400(client: TossClient, constant: str) -> None:
    raw = (
        '{"method":"card","cardNumber":"1111222233334444","cardExpirationYear":"24",'
        f'"cardExpirationMonth":"03","orderId":"o","amount":{constant}}}'
    )
    response = client.request(
        "POST", "/v1/payments/key-in", data=raw, headers={"Content-Type": "application/json"}
    )
    expect_error(response, 400, f"{constant} is not valid JSON")


def test_deeply_nested_json_is_400_not_500(client: TossClient) -> None:
    raw = b"[" * 100_000 + b"]" * 100_000
    response = client.request(
        "POST", "/v1/payments/key-in", data=raw, headers={"Content-Type": "application/json"}
    )
    expect_error(response, 400, "Maximum call stack size exceeded")


# ---- schema violations ---------------------------------------------------------------------


def key_in_body(**fields: Any) -> dict[str, Any]:
    body = {
        "method": "card",
        "cardNumber": "1111222233334444",
        "cardExpirationYear": "24",
        "cardExpirationMonth": "03",
        "amount": 1000,
        "orderId": order_id(),
    }
    body.update(fields)
    return {k: v for k, v in body.items() if v is not ...}


def test_wrong_type_reports_path_expected_and_value(client: TossClient) -> None:
    body = violation(client.post("/v1/payments/key-in", key_in_body(amount="100")))
    assert body == {
        "path": "$input.amount",
        "reason": (
            "Error on core.TypedBody(): invalid type on $input.amount, "
            "expect to be (number & ExclusiveMinimum<0>)"
        ),
        "expected": "(number & ExclusiveMinimum<0>)",
        "value": "100",
        "message": INVALID,
    }


def test_missing_property_has_no_value(client: TossClient) -> None:
    body = violation(client.post("/v1/payments/key-in", key_in_body(orderId=...)))
    assert body["path"] == "$input.orderId"
    assert body["expected"] == "string"
    assert "value" not in body


def test_only_first_violation_is_reported(client: TossClient) -> None:
    body = violation(client.post("/v1/payments/key-in", key_in_body(method="x", amount="x")))
    assert (body["path"], body["value"]) == ("$input.method", "x")


@pytest.mark.parametrize("value", [None, [], "text", 1])
def test_non_object_body_is_400_at_input(client: TossClient, value: Any) -> None:
    response = client.request(
        "POST",
        "/v1/payments/key-in",
        data=json.dumps(value),
        headers={"Content-Type": "application/json"},
    )
    body = violation(response)
    assert body["path"] == "$input"
    assert body["value"] == value


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"method": "virtual-account"}, "$input.method"),
        ({"cardNumber": "1111-2222-3333-4444"}, "$input.cardNumber"),
        ({"cardExpirationYear": "y"}, "$input.cardExpirationYear"),
        ({"cardExpirationMonth": "13"}, "$input.cardExpirationMonth"),
        ({"cardExpirationMonth": "3"}, "$input.cardExpirationMonth"),
        ({"customerBirthday": "881311"}, "$input.customerBirthday"),
        ({"customerEmail": "not-an-email"}, "$input.customerEmail"),
        ({"vbv": {"cavv": "a", "xid": "b"}}, "$input.vbv.eci"),
        ({"__approved": "false"}, "$input.__approved"),
        ({"cardInstallmentPlan": True}, "$input.cardInstallmentPlan"),
        ({"orderName": None}, "$input.orderName"),
        ({"taxFreeAmount": None}, "$input.taxFreeAmount"),
    ],
)
def test_key_in_field_rules(client: TossClient, fields: dict[str, Any], path: str) -> None:
    assert violation(client.post("/v1/payments/key-in", key_in_body(**fields)))["path"] == path


def test_null_optional_is_rejected_on_cancel(client: TossClient) -> None:
    payment = client.key_in(1000)
    body = violation(client.cancel(payment["paymentKey"], cancelAmount=None))
    assert (body["path"], body["value"]) == ("$input.cancelAmount", None)
    assert client.payment(payment["paymentKey"])["cancels"] is None


def test_refund_account_is_checked_when_present(client: TossClient) -> None:
    payment = client.key_in(1000)
    account = {**REFUND_ACCOUNT, "accountNumber": "123-456"}
    body = violation(client.cancel(payment["paymentKey"], refundReceiveAccount=account))
    assert body["path"] == "$input.refundReceiveAccount.accountNumber"
    assert body["value"] == "123-456"


def test_unanchored_patterns_and_extra_properties_pass(client: TossClient) -> None:
    payment = client.key_in(
        1000, cardNumber="x1111222233334444y", cardExpirationYear="year 28", unknown={"a": 1}
    )
    assert payment["card"]["number"] == "x1111222233334444y"
    assert "unknown" not in payment


@pytest.mark.parametrize(
    ("path", "body", "where"),
    [
        ("/v1/payments/any", {"orderId": "o"}, "$input.amount"),
        ("/v1/billing/authorizations/any", {}, "$input.customerKey"),
        (
            "/v1/billing/any",
            {"method": "card", "billingKey": "b", "customerKey": "c", "orderId": "o", "amount": 1},
            "$input.method",
        ),
        ("/v1/cash-receipts/any/cancel", {"amount": "1"}, "$input.amount"),
        (
            "/v1/cash-receipts",
            {
                "type": "현금",
                "paymentKey": "p",
                "orderId": "o",
                "orderName": "n",
                "registrationNumber": "r",
                "amount": 1,
            },
            "$input.type",
        ),
        (
            "/internal/webhook",
            {"eventType": "PAYMENT_STATUS_CHANGED", "data": {"paymentKey": "p", "orderId": "o"}},
            "$input.data.status",
        ),
    ],
)
def test_each_route_validates_its_body(
    client: TossClient, path: str, body: dict[str, Any], where: str
) -> None:
    assert violation(client.post(path, body))["path"] == where
