"""Inbound gateway webhooks cost bounded work whoever sends them (issue 24 item 5), against a
served instance (`payment-service serve` with 3 gunicorn workers) on SQLite and PostgreSQL,
with the fake gateways behind counting stand-ins on real sockets:

* forged events about one payment cost at most one fetch in flight and one trailing per
  `PAYMENT_WEBHOOK_REFETCH_INTERVAL_S`, and the payment still ends in the gateway's state;
* a signed PortOne webhook replayed within its tolerance is answered 201 without a fetch;
* each vendor has a budget per minute, past which the gateway is answered 429.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal

import pytest
import requests

from fake_servers.portone import DEFAULT_WEBHOOK_SECRET
from fake_servers.portone.signing import headers as signed_headers
from payment_service.db import PaymentHistory
from payment_service.testing import PaymentBackend
from payment_service.testing.fakes import vendor_options
from tests.roles.support import eventually
from tests.support.servers import free_port, wait_for_health

from .conftest import PASSWORD, client_of, gateway_kind, pay
from .peers import GatewayStandIn

INTERVAL_S = 2.0  # the default
BUDGET = 40
WORKERS = 3
LOST = "http://127.0.0.1:9/lost"
PORTONE_STORE = "test-portone-store"
SERVE = (sys.executable, "-m", "payment_service.cli", "serve")


def portone_kind(method: str, path: str) -> str:
    return "fetch" if method == "GET" and path.startswith("/payments/") else "other"


@dataclass
class Served:
    backend: PaymentBackend  # the same database, to pay and register
    url: str  # the served instance the gateways' webhooks are sent to
    toss: GatewayStandIn
    portone: GatewayStandIn


@pytest.fixture
def served(database_url: str, tmp_path) -> Iterator[Served]:
    with (
        GatewayStandIn(classify=gateway_kind) as toss,
        GatewayStandIn(classify=portone_kind) as portone,
    ):
        options = vendor_options(
            {"iamport": "http://127.0.0.1:9/unused", "toss": toss.url, "portone": portone.url}
        )
        settings = {
            "PAYMENT_VENDORS": json.dumps(options),
            "PAYMENT_WEBHOOK_INBOUND_PER_MINUTE": str(BUDGET),
        }
        backend = PaymentBackend(database_url, environ=settings).open()
        upstream = backend.fakes.vendor_options()
        toss.upstream = upstream["toss.payments"]["base_url"]
        portone.upstream = upstream["portone"]["base_url"]
        # The fakes' own webhooks are lost: the test sends every webhook itself.
        backend.fakes.toss.webhook_url = LOST
        backend.fakes.portone.webhook_url = LOST
        env = {k: v for k, v in os.environ.items() if not k.startswith("PAYMENT_")}
        env.update(settings, PAYMENT_DATABASE_URL=database_url, HOME=str(tmp_path))
        port = free_port()
        process = subprocess.Popen(
            [*SERVE, "--port", str(port), "--workers", str(WORKERS)],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_for_health(url, process, timeout=90)
            yield Served(backend, url, toss, portone)
        finally:
            process.terminate()
            try:
                process.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
            backend.close()


def forged_event(key: str) -> dict:
    return {
        "eventType": "PAYMENT_STATUS_CHANGED",
        "createdAt": "2026-01-01T00:00:00.000000",
        "data": {"paymentKey": key, "status": "CANCELED"},
    }


def forge(url: str, key: str) -> int:
    body = forged_event(key)
    return requests.post(f"{url}/payments/webhooks/toss", json=body, timeout=30).status_code


def stored_refund(backend: PaymentBackend, history_id: str) -> Decimal:
    with backend.runtime.database.reading() as session:
        return session.get(PaymentHistory, history_id).refund or Decimal(0)


def refund_at_gateway(backend: PaymentBackend, key: str, amount: int) -> None:
    toss = backend.fakes.vendor_options()["toss.payments"]
    answer = requests.post(
        f"{toss['base_url']}/v1/payments/{key}/cancel",
        json={"paymentKey": key, "cancelReason": "dashboard", "cancelAmount": amount},
        auth=(toss["default"]["secret_key"], ""),
        timeout=10,
    )
    assert answer.status_code == 201, answer.text


def test_forged_events_about_one_payment_are_coalesced_and_the_last_state_is_synced(served):
    paid = pay(served.backend)
    served.toss.reset_counts()
    started = time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        first = list(pool.map(lambda _: forge(served.url, paid.key), range(10)))
        # The gateway changes in the middle of the flood (a refund from its dashboard).
        refund_at_gateway(served.backend, paid.key, 3000)
        second = list(pool.map(lambda _: forge(served.url, paid.key), range(10)))
    elapsed = time.monotonic() - started
    fetches = served.toss.seen["fetch"]
    assert first + second == [201] * 20
    # Fetch starts are at least INTERVAL_S apart, whichever worker or process makes them.
    assert 1 <= fetches <= elapsed // INTERVAL_S + 1, (fetches, elapsed)
    assert served.toss.peak["fetch"] == 1
    # The trailing fetch brings the refund in, although no event came after it.
    eventually(lambda: stored_refund(served.backend, paid.id) == Decimal(3000), timeout=30)
    total = time.monotonic() - started
    assert served.toss.seen["fetch"] <= total // INTERVAL_S + 2


def test_a_replayed_signed_portone_webhook_is_answered_without_a_fetch(served):
    payment_id = f"payment-{uuid.uuid4()}"
    backend = served.backend
    order = str(uuid.uuid4())
    backend.customer.pay_portone_card(20000, payment_id, order)
    with client_of(backend) as client:
        history = client.histories.create(
            vendor={"code": "portone", "store_id": PORTONE_STORE, "uid": payment_id},
            source={"schema": "shop", "table": "orders", "id": order},
            price=20000,
            password=PASSWORD,
            webhook_url=backend.webhook_receiver().url,
        )
    served.portone.reset_counts()
    event = {
        "type": "Transaction.Paid",
        "timestamp": "2026-01-01T00:00:00Z",
        "data": {"paymentId": payment_id, "storeId": "store-x", "transactionId": "tx"},
    }
    raw = json.dumps(event).encode()
    headers = signed_headers(
        DEFAULT_WEBHOOK_SECRET, f"msg_{uuid.uuid4().hex}", int(time.time()), raw
    )

    def post() -> int:
        return requests.post(
            f"{served.url}/payments/webhooks/portone",
            data=raw,
            headers={"Content-Type": "application/json", **headers},
            timeout=30,
        ).status_code

    assert [post() for _ in range(10)] == [201] * 10
    assert served.portone.seen["fetch"] == 1
    # Nothing is left to fetch later either: no event was noted for a trailing fetch.
    with backend.runtime.database.reading() as session:
        row = session.get(PaymentHistory, history.id)
        assert row.sync_requested_at is None and row.sync_lease_until is None
    # The same event under a new id (the gateway's next delivery) is handled as usual.
    fresh = signed_headers(DEFAULT_WEBHOOK_SECRET, f"msg_{uuid.uuid4().hex}", int(time.time()), raw)
    answer = requests.post(
        f"{served.url}/payments/webhooks/portone",
        data=raw,
        headers={"Content-Type": "application/json", **fresh},
        timeout=30,
    )
    assert answer.status_code == 201


def test_each_vendor_has_a_budget_per_minute_past_which_webhooks_get_429(served):
    # Unknown payments: nothing to fetch, so only the budget answers. 2 × BUDGET + 1 requests
    # span at most two windows of BUDGET each, so at least one is refused.
    with ThreadPoolExecutor(4) as pool:
        answers = list(
            pool.map(
                lambda _: requests.post(
                    f"{served.url}/payments/webhooks/toss",
                    json=forged_event(f"unknown-{uuid.uuid4()}"),
                    timeout=30,
                ),
                range(2 * BUDGET + 1),
            )
        )
    statuses = [answer.status_code for answer in answers]
    assert set(statuses) <= {201, 429}
    assert statuses.count(201) <= 2 * BUDGET and statuses.count(429) >= 1
    refused = next(answer for answer in answers if answer.status_code == 429)
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.json()["statusCode"] == 429
    assert "toss.payments" in refused.json()["message"]
    # Another vendor's budget is its own.
    event = {"type": "BillingKey.Issued", "timestamp": "2026-01-01T00:00:00Z", "data": {}}
    raw = json.dumps(event).encode()
    headers = signed_headers(
        DEFAULT_WEBHOOK_SECRET, f"msg_{uuid.uuid4().hex}", int(time.time()), raw
    )
    answer = requests.post(
        f"{served.url}/payments/webhooks/portone",
        data=raw,
        headers={"Content-Type": "application/json", **headers},
        timeout=30,
    )
    assert answer.status_code == 201
