"""The fake PortOne over plain HTTP: authentication, error bodies, validation, the test hooks,
signed webhooks to the built-in receiver, storage, and the command line."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import uuid

import pytest
import requests

from fake_servers.portone import DEFAULT_API_SECRET, DEFAULT_WEBHOOK_SECRET, FakePortOne
from fake_servers.portone.signing import headers as signed_headers
from fake_servers.portone.signing import verify

AUTH = {"Authorization": f"PortOne {DEFAULT_API_SECRET}"}


def new_id() -> str:
    return f"payment-{uuid.uuid4()}"


def test_every_portone_route_needs_the_api_secret(fake):
    routes = [
        ("GET", "/payments/x"),
        ("GET", "/payments"),
        ("GET", "/payments-by-cursor"),
        ("POST", "/payments/x/cancel"),
        ("POST", "/payments/x/billing-key"),
        ("POST", "/billing-keys"),
        ("GET", "/billing-keys/x"),
        ("DELETE", "/billing-keys/x"),
    ]
    for method, path in routes:
        for headers in ({}, {"Authorization": "PortOne wrong"}, {"Authorization": "Basic x"}):
            answer = requests.request(method, fake.url + path, headers=headers, timeout=10)
            assert answer.status_code == 401, (method, path, headers)
            assert answer.json()["type"] == "UNAUTHORIZED"
            assert isinstance(answer.json()["message"], str)


def test_a_bearer_token_from_login_is_accepted(fake):
    login = requests.post(
        f"{fake.url}/login/api-secret", json={"apiSecret": DEFAULT_API_SECRET}, timeout=10
    )
    assert login.status_code == 200
    token = login.json()["accessToken"]
    answer = requests.get(
        f"{fake.url}/payments/none", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert (answer.status_code, answer.json()["type"]) == (404, "PAYMENT_NOT_FOUND")


def test_invalid_bodies_are_400_invalid_request_and_change_nothing(fake):
    payment_id = new_id()
    fake.pay_by_card(payment_id, 1000)
    for body in (
        "not json",
        json.dumps({"amount": 10}),  # no reason
        json.dumps({"reason": "r", "amount": "10"}),
        json.dumps({"reason": "r", "amount": 0}),
        json.dumps({"reason": "r", "amount": 1.5}),
        json.dumps({"reason": "r", "refundAccount": {"bank": "SHINHAN"}}),
    ):
        answer = requests.post(
            f"{fake.url}/payments/{payment_id}/cancel",
            data=body,
            headers={**AUTH, "Content-Type": "application/json"},
            timeout=10,
        )
        assert answer.status_code == 400, body
        assert answer.json()["type"] == "INVALID_REQUEST"
    assert fake.payment(payment_id)["amount"]["cancelled"] == 0
    bad_query = requests.get(
        f"{fake.url}/payments", params={"requestBody": "{"}, headers=AUTH, timeout=10
    )
    assert (bad_query.status_code, bad_query.json()["type"]) == (400, "INVALID_REQUEST")


def test_unknown_routes_are_404(fake):
    answer = requests.get(f"{fake.url}/nowhere", headers=AUTH, timeout=10)
    assert answer.status_code == 404 and answer.json()["type"] == "NOT_FOUND"


def test_customer_hooks_over_http(fake):
    card, account = new_id(), new_id()
    paid = requests.post(
        f"{fake.url}/internal/payments/{card}/card",
        json={"amount": 20000, "orderName": "shoes", "customData": '{"orderId":"o"}'},
        timeout=10,
    )
    assert paid.status_code == 200
    assert paid.json()["status"] == "PAID" and paid.json()["orderName"] == "shoes"
    again = requests.post(
        f"{fake.url}/internal/payments/{card}/card", json={"amount": 1}, timeout=10
    )
    assert (again.status_code, again.json()["type"]) == (409, "ALREADY_PAID")
    issued = requests.post(
        f"{fake.url}/internal/payments/{account}/virtual-account",
        json={"amount": 19900},
        timeout=10,
    )
    assert issued.json()["status"] == "VIRTUAL_ACCOUNT_ISSUED"
    deposited = requests.post(f"{fake.url}/internal/payments/{account}/deposit", timeout=10)
    assert deposited.json()["status"] == "PAID" and deposited.json()["amount"]["paid"] == 19900
    twice = requests.post(f"{fake.url}/internal/payments/{account}/deposit", timeout=10)
    assert (twice.status_code, twice.json()["type"]) == (409, "PAYMENT_NOT_WAITING_FOR_DEPOSIT")
    bad = requests.post(f"{fake.url}/internal/payments/x/card", json={"amount": -1}, timeout=10)
    assert (bad.status_code, bad.json()["type"]) == (400, "INVALID_REQUEST")


def test_own_receiver_verifies_and_records_the_signed_webhooks(fake):
    payment_id = new_id()
    fake.pay_by_card(payment_id, 1000)
    assert fake.drain_webhooks()
    received = fake.received_webhook(payment_id)
    assert received is not None and received["type"] == "Transaction.Paid"
    assert fake.last_webhook(payment_id) == received
    body = json.dumps({"type": "Transaction.Paid", "data": {"paymentId": "x"}}).encode()
    unsigned = requests.post(f"{fake.url}/internal/webhook", data=body, timeout=10)
    assert unsigned.status_code == 401
    headers = signed_headers(DEFAULT_WEBHOOK_SECRET, "msg_1", int(time.time()), body)
    accepted = requests.post(f"{fake.url}/internal/webhook", data=body, headers=headers, timeout=10)
    assert accepted.status_code == 200 and fake.received_webhook("x") is not None


def test_skip_webhook_sends_none(fake):
    payment_id = new_id()
    fake.pay_by_card(payment_id, 1000)
    first = fake.last_webhook(payment_id)
    fake.cancel(payment_id, skip_webhook=True)
    assert fake.last_webhook(payment_id) == first


def test_signatures_match_standard_webhooks():
    body = b'{"a":1}'
    headers = signed_headers(DEFAULT_WEBHOOK_SECRET, "msg_x", 1_700_000_000, body)
    assert headers["webhook-signature"].startswith("v1,")
    assert verify(DEFAULT_WEBHOOK_SECRET, headers, body, now=1_700_000_000 + 300)
    assert not verify(DEFAULT_WEBHOOK_SECRET, headers, body, now=1_700_000_000 + 301)
    assert not verify(DEFAULT_WEBHOOK_SECRET, headers, body + b" ", now=1_700_000_000)


def test_records_expire_like_the_other_fakes():
    fake = FakePortOne()
    fake.expiration.seconds = 0
    first, second = new_id(), new_id()
    fake.pay_by_card(first, 1000)
    fake.pay_by_card(second, 1000)  # the insert evicts the expired record
    with pytest.raises(Exception) as gone:
        fake.payment(first)
    assert getattr(gone.value, "type", None) == "PAYMENT_NOT_FOUND"


def test_command_line_serves_until_terminated(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "fake_servers.portone", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        line = process.stdout.readline()
        assert f"Fake PortOne V2 listening on http://127.0.0.1:{port}" in line
        answer = requests.get(f"http://127.0.0.1:{port}/payments/x", headers=AUTH, timeout=10)
        assert answer.status_code == 404
        process.terminate()
        assert process.wait(timeout=20) == 0
    finally:
        process.kill()


def test_a_declined_billing_charge_is_the_pg_refusal_and_keeps_nothing(fake):
    key = fake.issue_billing_key("customer-1")["billingKey"]
    fake.decline_charges(key)
    payment_id = new_id()
    body = {"billingKey": key, "orderName": "plan", "amount": {"total": 1000}, "currency": "KRW"}
    url = f"{fake.url}/payments/{payment_id}/billing-key"
    declined = requests.post(url, json=body, headers=AUTH, timeout=10)
    assert declined.status_code == 502
    assert declined.json() == {
        "type": "PG_PROVIDER",
        "message": declined.json()["message"],
        "pgCode": "8326",
        "pgMessage": "한도초과",
    }
    assert (
        requests.get(f"{fake.url}/payments/{payment_id}", headers=AUTH, timeout=10).status_code
        == 404
    )
    assert requests.post(url, json=body, headers=AUTH, timeout=10).status_code == 200
    assert fake.charges_of(key) == 2
