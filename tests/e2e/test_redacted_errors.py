"""The 400 of an encrypted route travels in plain JSON: it names the path and the expected
type, but never echoes a password, a refund account or the credentials of a webhook_url
(issue 24 item 6). Other values are echoed as the original does."""

from __future__ import annotations

import json

import pytest

from .conftest import PASSWORD, TOSS_STORE, create_body, new_source, nothing_written, send_encrypted

SECRET = "hunter2-Secret"
ACCOUNT = {
    "bank": "신한은행",
    "account": "110123456789",
    "holder": "홍길동",
    "mobile": "01012345678",
}


def refused(backend, path: str, body: object, method: str = "POST") -> dict:
    response = send_encrypted(backend, method, path, json.dumps(body, ensure_ascii=False))
    assert response.status_code == 400, response.text
    for secret in (SECRET, "110123456789", "홍길동", "01012345678"):
        assert secret not in response.text
    assert nothing_written(backend)
    return response.json()


def cancel_body(**changes: object) -> dict:
    body = {
        "source": new_source(),
        "password": PASSWORD,
        "price": 1000,
        "reason": "r",
        "account": dict(ACCOUNT),
    }
    return {**body, **changes}


@pytest.mark.parametrize(
    "password",
    [SECRET + "x" * 300, 12345, [SECRET], {"p": SECRET}, SECRET + "\x00"],
    ids=["too-long", "number", "array", "object", "nul"],
)
def test_a_rejected_password_is_never_echoed(backend, password):
    body = create_body("uid", new_source(), password=password)
    error = refused(backend, "/payments/histories", body)
    assert error["path"] == "$input.password"
    assert error["expected"] == "string"
    assert error["value"] == "***"
    assert error["reason"].endswith("expect to be string")


@pytest.mark.parametrize(
    ("route", "method", "body", "path"),
    [
        (
            "/payments/histories/get",
            "PATCH",
            {**new_source(), "password": SECRET + "\x01"},
            "$input.password",
        ),
        (
            "/payments/reservations",
            "POST",
            {
                "vendor": {"code": "toss.payments", "store_id": TOSS_STORE, "uid": "b"},
                "source": new_source(),
                "title": "t",
                "password": 7,
            },
            "$input.password",
        ),
        (
            "/payments/histories/cancel",
            "PUT",
            cancel_body(password=SECRET * 40),
            "$input.password",
        ),
    ],
)
def test_every_route_redacts_its_password(backend, route, method, body, path):
    error = refused(backend, route, body, method)
    assert (error["path"], error["value"]) == (path, "***")


@pytest.mark.parametrize(
    ("account", "path", "expected"),
    [
        ({**ACCOUNT, "account": "1" * 300 + "110123456789"}, "$input.account.account", "string"),
        ({**ACCOUNT, "holder": "홍길동\x00"}, "$input.account.holder", "string"),
        ({**ACCOUNT, "mobile": 1012345678}, "$input.account.mobile", "string"),
        ({**ACCOUNT, "bank": None}, "$input.account.bank", "string"),
        ("110123456789 홍길동", "$input.account", "(IPaymentCancelHistory.IBankAccount | null)"),
    ],
)
def test_a_rejected_refund_account_is_never_echoed(backend, account, path, expected):
    error = refused(backend, "/payments/histories/cancel", cancel_body(account=account), "PUT")
    assert error["path"] == path
    assert error["expected"] == expected
    assert error["value"] == "***"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (f"http://app:{SECRET}@example.com/hook", "http://***@example.com/hook"),
        (f"https://{SECRET}@example.com:8443/x?y=1", "https://***@example.com:8443/x?y=1"),
        (f"http://app:{SECRET}@[bad/x", "http://***@[bad/x"),
        (f"http://a:{SECRET}@example.com/" + "a" * 1100, None),
    ],
)
def test_webhook_url_credentials_are_never_echoed(backend, url, shown):
    error = refused(
        backend, "/payments/histories", create_body("uid", new_source(), webhook_url=url)
    )
    assert error["path"] == "$input.webhook_url"
    assert error["expected"] == 'string & Format<"uri">'
    assert error["value"] == (shown or url.replace(f"a:{SECRET}", "***"))


def test_a_whole_body_of_the_wrong_shape_is_echoed_redacted(backend):
    body = [create_body("uid", new_source(), password=SECRET)]
    error = refused(backend, "/payments/histories", body)
    assert error["path"] == "$input"


def test_values_that_are_not_secret_are_still_echoed(backend):
    error = refused(
        backend,
        "/payments/histories",
        create_body("uid", new_source(), price="twenty", password=SECRET),
    )
    assert (error["path"], error["value"]) == ("$input.price", "twenty")
    source = {**new_source(), "id": "not-a-uuid"}
    error = refused(backend, "/payments/histories", create_body("uid", source, password=SECRET))
    assert (error["path"], error["value"]) == ("$input.source.id", "not-a-uuid")
