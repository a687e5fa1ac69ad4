"""HTTP conventions: body parsing errors, 404s, CORS, HEAD, and JavaScript number printing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from fake_servers.iamport import FakeIamport

from ..cors import PREFLIGHT, assert_preflight_allowed
from .helpers import CREDENTIALS, IamportClient, onetime_body, refund_body, vbank_body
from .scenarios import card_payment, vbank_payment

JSON = "application/json"
JSON_HEADERS = {"Content-Type": JSON}
BAD_REQUEST = {"error": "Bad Request", "statusCode": 400}


def raw_token_request(api: IamportClient, data: str | bytes, content_type: str = JSON) -> Any:
    """The 400 answer to POST /users/getToken with the body `data`, sent as is."""
    headers = {"Content-Type": content_type}
    return api.error(400, "POST", "/users/getToken", authorize=False, data=data, headers=headers)


def test_body_that_is_not_declared_json_is_refused(api: IamportClient) -> None:
    body = raw_token_request(api, "imp_key=test_imp_key", "application/x-www-form-urlencoded")
    assert body == {"message": 'Request body type is not "application/json".', **BAD_REQUEST}


def test_missing_body_is_refused_as_not_json(api: IamportClient) -> None:
    body = api.error(400, "POST", "/users/getToken", authorize=False)
    assert body == {"message": 'Request body type is not "application/json".', **BAD_REQUEST}


def test_empty_json_body_is_refused(api: IamportClient) -> None:
    body = api.error(400, "POST", "/payments/cancel", data=b"", headers=JSON_HEADERS)
    assert body == {
        "statusCode": 400,
        "message": "Body cannot be empty when content-type is set to 'application/json'",
    }


def test_malformed_json_is_refused(api: IamportClient) -> None:
    body = raw_token_request(api, b'{"imp_key": ', "application/json; charset=utf-8")
    assert body["error"] == "Bad Request"
    assert body["statusCode"] == 400
    assert "JSON" in body["message"]


def test_deeply_nested_json_is_refused(api: IamportClient) -> None:
    body = raw_token_request(api, b"[" * 100_000)
    assert body == {"message": "Maximum call stack size exceeded", **BAD_REQUEST}


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_json_number_constants_are_refused(api: IamportClient, constant: str) -> None:
    body = raw_token_request(api, f'{{"imp_key":"k","imp_secret":"s","extra":[{constant}]}}')
    assert body == {"message": f"{constant} is not valid JSON", **BAD_REQUEST}


def test_non_object_body_fails_validation(api: IamportClient) -> None:
    body = api.error(400, "POST", "/users/getToken", "text", authorize=False)
    assert (body["path"], body["expected"], body["value"]) == (
        "$input",
        "IIamportUser.IAccessor",
        "text",
    )


def test_null_in_an_optional_field_fails_validation(api: IamportClient) -> None:
    account = vbank_body(merchant_uid="m", vbank_due=1, name=None)
    body = api.error(400, "POST", "/vbanks", account)
    assert (body["path"], body["expected"]) == ("$input.name", "(string | undefined)")
    assert body["value"] is None


def test_first_violation_in_declaration_order_is_reported(api: IamportClient) -> None:
    wrong = {"card_number": "1234", "amount": "25000", "expiry": "2028-13"}
    body = api.error(400, "POST", "/subscribe/payments/onetime", wrong)
    assert body["path"] == "$input.card_number"
    assert body["expected"] == '(string & Pattern<"\\d{4}-\\d{4}-\\d{4}-\\d{4}">)'
    assert body["value"] == "1234"


def test_string_amount_is_not_a_number(api: IamportClient) -> None:
    order = onetime_body(merchant_uid="m", amount="25000", name="n")
    body = api.error(400, "POST", "/subscribe/payments/onetime", order)
    assert (body["path"], body["expected"], body["value"]) == ("$input.amount", "number", "25000")


def test_bad_webhook_status_is_refused_by_the_sink(api: IamportClient) -> None:
    body = api.error(
        400,
        "POST",
        "/internal/webhook",
        {"imp_uid": "i", "merchant_uid": "m", "status": "done"},
        authorize=False,
    )
    assert body["path"] == "$input.status"
    assert body["expected"] == '("paid" | "ready" | "failed" | "cancelled")'


def test_webhook_sink_accepts_without_token_and_answers_empty(api: IamportClient) -> None:
    reply = api.request(
        "POST",
        "/internal/webhook",
        {"imp_uid": "i", "merchant_uid": "m", "status": "paid"},
        authorize=False,
    )
    assert reply.status_code == 201
    assert reply.content == b""


@pytest.mark.parametrize(
    "path",
    [
        "/payments/missing",
        "/subscribe/customers/missing",
        "/receipts/missing",
        "/certifications/missing",
    ],
)
def test_unknown_record_is_not_found(api: IamportClient, path: str) -> None:
    assert api.error(404, "GET", path) == {
        "message": "Error on std.HashMap.get(): unable to find the matched key -> missing",
        "error": "Not Found",
        "statusCode": 404,
    }


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/nowhere"), ("POST", "/payments/x"), ("PATCH", "/vbanks"), ("GET", "/vbanks")],
)
def test_unknown_route_is_not_found(api: IamportClient, method: str, path: str) -> None:
    assert api.error(404, method, path) == {
        "message": f"Cannot {method} {path}",
        "error": "Not Found",
        "statusCode": 404,
    }


def test_every_answer_allows_any_origin(api: IamportClient) -> None:
    success = api.request("POST", "/users/getToken", CREDENTIALS, authorize=False)
    failure = api.request("GET", "/nowhere")
    for reply in (success, failure):
        assert reply.headers["Access-Control-Allow-Origin"] == "*"


def test_preflight_is_answered(api: IamportClient) -> None:
    reply = api.request("OPTIONS", "/payments/cancel", authorize=False, headers=PREFLIGHT)
    assert_preflight_allowed(reply)
    assert reply.headers["Vary"] == "Access-Control-Request-Headers"


def test_head_on_a_get_route_answers_like_get_without_body(
    api: IamportClient, fake: FakeIamport
) -> None:
    payment = card_payment(api, fake)
    reply = api.request("HEAD", f"/payments/{payment['imp_uid']}")
    assert reply.status_code == 200
    assert reply.content == b""


def test_success_is_json_with_charset(api: IamportClient) -> None:
    reply = api.request("POST", "/users/getToken", CREDENTIALS, authorize=False)
    assert reply.headers["Content-Type"] == "application/json; charset=utf-8"
    assert reply.text.startswith('{"code":0,"message":"success","response":{"now":')


def test_numbers_print_like_javascript(api: IamportClient, fake: FakeIamport) -> None:
    payment = vbank_payment(api, fake)
    reply = api.request(
        "POST",
        f"/receipts/{payment['imp_uid']}",
        {"imp_uid": payment["imp_uid"], "identifier": "01012345678"},
    )
    assert '"amount":40000,"vat":4000,' in reply.text

    order = onetime_body(merchant_uid="usd-order", amount=12.5, name="USD", currency="USD")
    card = api.ok("POST", "/subscribe/payments/onetime", order)
    assert card["merchant_uid"] == "usd-order"
    reply = api.request("POST", "/payments/cancel", refund_body(card, amount=2.5, reason="cents"))
    assert '"amount":12.5,"cancel_amount":2.5,"currency":"USD"' in reply.text
    receipt = api.request(
        "POST",
        f"/receipts/{card['imp_uid']}",
        {"imp_uid": card["imp_uid"], "identifier": "x"},
    )
    assert '"vat":1.25,' in receipt.text


def test_integral_float_input_prints_without_fraction(api: IamportClient) -> None:
    order = onetime_body(merchant_uid="m", amount=25000.0, name="n", card_quota=3.0)
    data = json.dumps(order)
    assert '"amount": 25000.0' in data and '"card_quota": 3.0' in data
    reply = api.request("POST", "/subscribe/payments/onetime", data=data, headers=JSON_HEADERS)
    assert reply.status_code == 201
    assert '"card_quota":3,' in reply.text
    assert '"amount":25000,' in reply.text
