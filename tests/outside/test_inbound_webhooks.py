"""Inbound gateway webhooks: single flight per payment, and a cap per process (issue #12,
item 3). Forged events (no key is needed to send one) against a slow or hanging gateway."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from payment_service.payments.webhooks import SYNC_SLOTS

from .conftest import PASSWORD, client_of, open_backend, pay
from .peers import Prober

# Longer than conftest's: these tests measure who waits for a slow fetch, so a fetch must not
# hit the deadline even on a very busy machine.
DEADLINE_S = 8.0
SLOW_S = 3.0


@pytest.fixture
def backend(database_url, gateway):
    backend = open_backend(database_url, gateway, PAYMENT_VENDOR_TIMEOUT_S=str(DEADLINE_S))
    try:
        yield backend
    finally:
        gateway.mode = "pass"
        backend.close()


def forge(backend, key: str) -> tuple[int, float]:
    body = {
        "eventType": "PAYMENT_STATUS_CHANGED",
        "createdAt": "2026-01-01T00:00:00.000000",
        "data": {"paymentKey": key, "status": "CANCELED"},
    }
    started = time.monotonic()
    response = requests.post(f"{backend.url}/payments/webhooks/toss", json=body, timeout=30)
    return response.status_code, time.monotonic() - started


def test_concurrent_events_about_one_payment_fetch_it_one_at_a_time(backend, gateway):
    target, other = pay(backend), pay(backend)
    gateway.reset_counts()
    gateway.mode, gateway.slow_s = "slow", SLOW_S
    with client_of(backend) as reader:

        def look_up():
            return reader.histories.get(source=other.source, password=PASSWORD).price

        with Prober(look_up, 0.1) as lookups, ThreadPoolExecutor(16) as pool:
            results = list(pool.map(lambda _: forge(backend, target.key), range(16)))
    gateway.mode = "pass"
    assert [status for status, _ in results] == [201] * 16
    assert gateway.peak["fetch"] == 1  # never two fetches of one payment at once
    # One in flight, then one trailing fetch for every event that came meanwhile (it may run
    # just after the answers, so it is not counted here: tests/outside/test_coalescing.py).
    assert 1 <= gateway.seen["fetch"] <= 2
    # Other requests kept being answered meanwhile.
    assert lookups.outcomes and all(not isinstance(o, Exception) for o in lookups.outcomes)
    # (Their latency under load is measured by benchmarks/outside_world.py.)


def test_a_flood_about_many_payments_takes_at_most_the_sync_slots(backend, gateway):
    payments = [pay(backend) for _ in range(SYNC_SLOTS + 2)]
    gateway.reset_counts()
    gateway.mode = "hang"
    with ThreadPoolExecutor(len(payments)) as pool:
        results = list(pool.map(lambda p: forge(backend, p.key), payments))
    gateway.mode = "pass"
    statuses = [status for status, _ in results]
    # The request threads' fetches, plus the background pass taking up a refused event's note.
    assert gateway.peak["fetch"] <= SYNC_SLOTS + 1
    assert statuses.count(504) <= SYNC_SLOTS
    # Beyond the cap: 503 at once (the gateway sends the event again later), no thread held.
    refused = [seconds for status, seconds in results if status == 503]
    assert len(refused) >= 2 and max(refused) < DEADLINE_S / 2
    assert set(statuses) <= {503, 504}
    # A later event is synchronized normally (the leases were released).
    assert forge(backend, payments[0].key)[0] == 201


def test_an_event_left_for_later_is_picked_up_by_the_background_pass(backend, gateway):
    from decimal import Decimal

    from sqlalchemy import update

    from payment_service.db import PaymentHistory
    from payment_service.payments.webhooks import resume_requested

    paid = pay(backend)
    backend.fakes.toss.webhook_url = "http://127.0.0.1:9/lost"  # its own event is lost
    # The gateway refunds on its own (e.g. from its dashboard); the event about it arrived
    # while another process held the lease, and that process died before fetching again.
    base = backend.fakes.vendor_options()["toss.payments"]["base_url"]
    secret = backend.fakes.vendor_options()["toss.payments"]["default"]["secret_key"]
    answer = requests.post(
        f"{base}/v1/payments/{paid.key}/cancel",
        json={"paymentKey": paid.key, "cancelReason": "dashboard", "cancelAmount": 3000},
        auth=(secret, ""),
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    now = backend.runtime.clock()
    with backend.runtime.database.transaction() as session:
        session.execute(
            update(PaymentHistory)
            .where(PaymentHistory.id == paid.id)
            .values(sync_requested_at=now, sync_lease_until=now)
        )
    assert resume_requested(backend.runtime) == 1
    with client_of(backend) as client:
        assert client.histories.get(source=paid.source, password=PASSWORD).refund == Decimal(3000)
    with backend.runtime.database.reading() as session:
        row = session.get(PaymentHistory, paid.id)
        assert row.sync_requested_at is None and row.sync_lease_until is None
    assert resume_requested(backend.runtime) == 0
