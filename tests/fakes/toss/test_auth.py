"""Basic authentication (docs/fake-toss.md §3): the three 403s, lenient decoding, check order."""

from __future__ import annotations

import base64

import pytest

from fake_servers.toss import DEFAULT_SECRET_KEY, FakeToss
from fake_servers.toss.auth import lenient_b64decode

from .support import TossClient, basic, nest_error, not_found

# Every authenticated route with a body that passes validation, so that only the credentials
# decide the answer.
APPROVAL = {"orderId": "o", "amount": 1}
ROUTES = [
    ("GET", "/v1/payments/unknown", None),
    (
        "POST",
        "/v1/payments/key-in",
        {
            "method": "card",
            "cardNumber": "1111222233334444",
            "cardExpirationYear": "24",
            "cardExpirationMonth": "03",
            "amount": 1000,
            "orderId": "o",
        },
    ),
    ("POST", "/v1/payments/unknown", APPROVAL),
    ("POST", "/v1/payments/unknown/cancel", {"paymentKey": "unknown", "cancelReason": "r"}),
    (
        "POST",
        "/v1/virtual-accounts",
        {
            "method": "virtual-account",
            "orderId": "o",
            "orderName": "n",
            "bank": "신한",
            "customerName": "홍길동",
            "amount": 1000,
        },
    ),
    (
        "POST",
        "/v1/billing/authorizations/card",
        {
            "customerKey": "c",
            "cardNumber": "1111222233334444",
            "cardExpirationYear": "28",
            "cardExpirationMonth": "03",
            "cardPassword": "99",
            "customerBirthday": "880311",
        },
    ),
    ("POST", "/v1/billing/authorizations/unknown", {"customerKey": "c"}),
    (
        "POST",
        "/v1/billing/unknown",
        {"method": "billing", "billingKey": "b", "customerKey": "c", "orderId": "o", "amount": 1},
    ),
    (
        "POST",
        "/v1/cash-receipts",
        {
            "type": "소득공제",
            "paymentKey": "p",
            "orderId": "o",
            "orderName": "n",
            "registrationNumber": "r",
            "amount": 1,
        },
    ),
    ("POST", "/v1/cash-receipts/unknown/cancel", {}),
    ("PUT", "/internal/unknown/deposit", None),
]


def call(fake: FakeToss, method: str, path: str, body: object, authorization: str | None):
    client = TossClient(fake.url)
    if authorization is None:
        del client.session.headers["Authorization"]
    else:
        client.session.headers["Authorization"] = authorization
    return client.request(method, path, json=body)


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_missing_authorization_is_refused(fake: FakeToss, method: str, path: str, body: object):
    response = call(fake, method, path, body, None)
    assert response.status_code == 403
    assert response.json() == nest_error(403, "No authorization token exists.")


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_wrong_secret_key_is_refused(fake: FakeToss, method: str, path: str, body: object):
    response = call(fake, method, path, body, basic("test_ak_other"))
    assert response.status_code == 403
    assert response.json() == nest_error(403, "Wrong authorization token.")


@pytest.mark.parametrize(
    "authorization",
    [
        "basic " + base64.b64encode(f"{DEFAULT_SECRET_KEY}:".encode()).decode(),
        "Bearer " + DEFAULT_SECRET_KEY,
        "Basic",
        "",
        "BASIC " + base64.b64encode(f"{DEFAULT_SECRET_KEY}:".encode()).decode(),
        "Basic\t" + base64.b64encode(f"{DEFAULT_SECRET_KEY}:".encode()).decode(),
    ],
)
def test_non_basic_scheme_is_invalid(fake: FakeToss, authorization: str) -> None:
    response = call(fake, "GET", "/v1/payments/unknown", None, authorization)
    assert response.status_code == 403
    assert response.json() == nest_error(403, "Invalid authorization token.")


@pytest.mark.parametrize(
    ("authorization", "accepted"),
    [
        (basic(suffix=":"), True),
        # Whatever the last decoded character is, it is dropped before the comparison.
        (basic(suffix="X"), True),
        (basic(suffix=""), False),
        (basic(suffix="::"), False),
        # Node's decoder skips characters outside the alphabet and needs no padding.
        ("Basic " + "!".join(basic()[len("Basic ") :]), True),
        ("Basic " + basic()[len("Basic ") :].rstrip("="), True),
        ("Basic %%%garbage%%%", False),
        ("Basic ", False),
    ],
)
def test_secret_key_decoding(fake: FakeToss, authorization: str, accepted: bool) -> None:
    response = call(fake, "GET", "/v1/payments/unknown", None, authorization)
    if accepted:
        assert (response.status_code, response.json()) == (404, not_found("unknown"))
    else:
        assert (response.status_code, response.json()) == (
            403,
            nest_error(403, "Wrong authorization token."),
        )


def test_webhook_receiver_needs_no_authorization(fake: FakeToss) -> None:
    body = {
        "eventType": "PAYMENT_STATUS_CHANGED",
        "data": {"paymentKey": "unknown", "orderId": "o", "status": "DONE"},
    }
    response = call(fake, "POST", "/internal/webhook", body, None)
    assert (response.status_code, response.json()) == (404, not_found("unknown"))


def test_invalid_body_is_answered_before_missing_credentials(fake: FakeToss) -> None:
    response = call(fake, "POST", "/v1/payments/unknown", {"orderId": 1, "amount": 1}, None)
    assert response.status_code == 400
    assert response.json()["path"] == "$input.orderId"


def test_non_json_body_is_answered_before_missing_credentials(fake: FakeToss) -> None:
    client = TossClient(fake.url)
    del client.session.headers["Authorization"]
    response = client.request("POST", "/v1/payments/key-in", data="x")
    assert (response.status_code, response.json()) == (
        400,
        nest_error(400, 'Request body type is not "application/json".'),
    )


def test_bad_credentials_are_answered_before_unknown_payment(fake: FakeToss) -> None:
    response = call(fake, "POST", "/v1/payments/unknown", APPROVAL, basic("nope"))
    assert (response.status_code, response.json()) == (
        403,
        nest_error(403, "Wrong authorization token."),
    )


def test_configured_secret_keys_replace_the_default(fake: FakeToss) -> None:
    fake.secret_keys = {"live_sk_one", "live_sk_two"}
    for secret, status in (("live_sk_one", 404), ("live_sk_two", 404), (DEFAULT_SECRET_KEY, 403)):
        response = call(fake, "GET", "/v1/payments/unknown", None, basic(secret))
        assert response.status_code == status


def test_secret_keys_from_the_constructor() -> None:
    other = FakeToss(secret_keys=["sk_a"]).app.test_client()
    assert other.get("/v1/payments/x", headers={"Authorization": basic("sk_a")}).status_code == 404
    assert other.get("/v1/payments/x", headers={"Authorization": basic()}).status_code == 403


@pytest.mark.parametrize(
    ("text", "decoded"),
    [
        # Expected values printed by Node 20's Buffer.from(text, "base64").toString("binary").
        ("dGVzdA==", "test"),
        ("dGVzdA", "test"),
        ("dGVz dA==", "test"),
        ("dG=VzdA==", "t"),
        ("d", ""),
        ("dGV", "te"),
        ("!!dGVzdA", "test"),
        ("dGVzdA==dGVzdA==", "test"),
        ("dGVz-_A", "tes\u00fb\u00f0"),
        ("abc=d", "i\u00b7"),
    ],
)
def test_lenient_base64_matches_node(text: str, decoded: str) -> None:
    assert lenient_b64decode(text) == decoded
