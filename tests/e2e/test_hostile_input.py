"""Hostile input through HTTP, on SQLite and PostgreSQL: every probe is a clear 400 with the
usual validation body, costs little, and writes nothing (nothing reaches the gateway either)."""

from __future__ import annotations

import json
import time
import uuid

import pytest
import requests

from payment_service.db import PaymentHistoryWebhook

from .conftest import (
    PASSWORD,
    TOSS_STORE,
    count,
    create_body,
    new_source,
    nothing_written,
    send_encrypted,
    send_text,
    toss_create,
)


def post_raw(backend, path: str, text: str, method: str = "POST") -> requests.Response:
    return send_encrypted(backend, method, path, text)


VALIDATION_MESSAGE = "Request body data is not following the promised type."
PLACEHOLDER = "__RAW__"


def with_raw(body: dict, raw: str) -> str:
    """`body` as JSON text, with the string PLACEHOLDER replaced by the literal `raw`."""
    return json.dumps(body, ensure_ascii=False).replace(f'"{PLACEHOLDER}"', raw)


@pytest.fixture
def paid(backend):
    source = new_source()
    return backend.customer.pay_toss_card(20000, source["id"]), source


def assert_refused(response: requests.Response, path: str) -> dict:
    assert response.status_code == 400, response.text
    error = response.json()
    assert error["path"] == path
    assert error["message"] == VALIDATION_MESSAGE
    assert error["reason"].startswith(f"Error on typia.assert(): invalid type on {path}")
    return error


# -- money ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "1E+1000000",  # 14 bytes; int() of it builds a million-digit number
        "1E+2000000",
        "1E+16",  # overflowed NUMERIC(20, 4): a 500 on PostgreSQL
        "10000000000000001",
        "1" + "0" * 4000,  # an integer of 4001 digits
        "1000000000000.01",  # above the documented maximum (10^12)
        "20000.001",  # more decimals than any currency has
        "1E-1000000",
        "0",
        "-20000",
        "-0.0",
    ],
)
def test_hostile_amounts_are_400_quickly_and_write_nothing(backend, paid, raw):
    uid, source = paid
    started = time.monotonic()
    response = post_raw(
        backend, "/payments/histories", with_raw(create_body(uid, source, price=PLACEHOLDER), raw)
    )
    elapsed = time.monotonic() - started
    error = assert_refused(response, "$input.price")
    assert "Maximum<1000000000000>" in error["expected"]
    assert elapsed < 20  # generous (loaded machine); before, 1E+2000000 ran for minutes
    assert nothing_written(backend)
    assert backend.toss.payment(uid)["status"] == "IN_PROGRESS"


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-Infinity"])
def test_non_json_number_constants_are_refused_like_any_bad_body(backend, paid, raw):
    uid, source = paid
    response = post_raw(
        backend, "/payments/histories", with_raw(create_body(uid, source, price=PLACEHOLDER), raw)
    )
    assert response.status_code == 400
    assert nothing_written(backend)


def test_a_huge_number_where_a_string_belongs_is_echoed_as_null_not_computed(backend, paid):
    uid, source = paid
    text = with_raw(create_body(uid, source, source__schema=PLACEHOLDER), "1E+1000000")
    error = assert_refused(post_raw(backend, "/payments/histories", text), "$input.source.schema")
    assert error["value"] is None  # what JSON.stringify(Infinity) gives, as the original would
    assert nothing_written(backend)


def test_a_refund_with_more_decimals_than_the_currency_is_400_and_refunds_nothing(
    backend, client, receiver, paid
):
    uid, source = paid
    toss_create(client, receiver, uid, source)
    body = {"source": source, "password": PASSWORD, "price": PLACEHOLDER, "reason": "r"}
    body["account"] = None
    response = post_raw(backend, "/payments/histories/cancel", with_raw(body, "100.5"), "PUT")
    error = assert_refused(response, "$input.price")
    assert error["expected"] == "(number & MultipleOf<1>)"  # KRW has no minor unit
    assert backend.toss.payment(uid)["balanceAmount"] == 20000
    assert count(backend, PaymentHistoryWebhook) == 0


# -- strings -------------------------------------------------------------------------------

LONG = "x" * 256


@pytest.mark.parametrize(
    ("field", "value", "path"),
    [
        ("source__schema", LONG, "$input.source.schema"),
        ("source__table", LONG, "$input.source.table"),
        ("vendor__store_id", LONG, "$input.vendor.store_id"),
        ("vendor__uid", LONG, "$input.vendor.uid"),
        ("vendor__code", "c" * 65, "$input.vendor.code"),
        ("password", "p" * 256, "$input.password"),
        ("source__schema", "a\x00b", "$input.source.schema"),
        ("source__table", "t\x00", "$input.source.table"),
        ("vendor__uid", "u\x00", "$input.vendor.uid"),
        ("vendor__store_id", "s\x1b[31m", "$input.vendor.store_id"),
        ("password", "pw\x00", "$input.password"),
        ("source__schema", "a\ud800b", "$input.source.schema"),  # a lone surrogate
        ("webhook_url", "http://example.com/" + "a" * 1024, "$input.webhook_url"),
    ],
)
def test_strings_that_do_not_fit_their_column_are_400_on_both_databases(
    backend, paid, field, value, path
):
    uid, source = paid
    body = create_body(uid, source, **{field: value})
    response = post_raw(backend, "/payments/histories", json.dumps(body))
    assert_refused(response, path)
    assert nothing_written(backend)


def test_a_reservation_with_a_nul_in_its_source_is_400(backend):
    body = {
        "vendor": {"code": "toss.payments", "store_id": TOSS_STORE, "uid": "billing-key"},
        "source": {"schema": "s\x00", "table": "t", "id": str(uuid.uuid4())},
        "title": "t",
        "password": PASSWORD,
    }
    assert_refused(
        post_raw(backend, "/payments/reservations", json.dumps(body)), "$input.source.schema"
    )
    assert nothing_written(backend)


@pytest.mark.parametrize("route", ["/payments/histories/get", "/payments/reservations/get"])
def test_lookups_with_overlong_or_nul_strings_are_400_not_500(backend, route):
    source = {"schema": LONG, "table": "t\x00", "id": str(uuid.uuid4()), "password": "p"}
    assert_refused(post_raw(backend, route, json.dumps(source), "PATCH"), "$input.schema")


# -- nesting -------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [65, 1_000, 100_000])
def test_deeply_nested_encrypted_json_is_400(backend, paid, depth):
    uid, source = paid
    nested = "[" * depth + "]" * depth
    text = with_raw(create_body(uid, source, title=PLACEHOLDER), nested)
    response = post_raw(backend, "/payments/histories", text)
    assert response.status_code == 400
    assert response.json()["statusCode"] == 400
    assert nothing_written(backend)


def test_nesting_within_the_bound_is_still_read(backend, paid):
    uid, source = paid
    nested = "[" * 60 + "]" * 60  # an ignored extra key: the body is read, then refused for price
    text = with_raw(create_body(uid, source, extra=PLACEHOLDER, price=-1), nested)
    assert_refused(post_raw(backend, "/payments/histories", text), "$input.price")


@pytest.mark.parametrize("route", ["toss", "iamport"])
def test_deeply_nested_gateway_webhook_is_400(backend, route):
    body = '{"data": ' + "{" * 5000 + "}" * 5000 + "}"
    response = send_text(backend, "POST", f"/payments/webhooks/{route}", body, "application/json")
    assert response.status_code == 400
    assert nothing_written(backend)
