"""Storage (docs/fake-toss.md §11): lazy expiry on insert, capacity, reset, and thread safety."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from fake_servers.toss import Expiration, FakeToss
from tests.support.clock import SteppedClock
from tests.support.threads import on_threads

from .support import TossClient, not_found

LIFETIME_S = 20


@pytest.fixture
def clock(fake: FakeToss) -> Iterator[SteppedClock]:
    """The fake's stores read this clock, and keep records LIFETIME_S: tests advance time
    instead of sleeping."""
    expiration = fake.expiration
    fake.set_expiration(seconds=LIFETIME_S)
    real, expiration.clock = expiration.clock, SteppedClock()
    yield expiration.clock
    expiration.clock = real


def status(client: TossClient, payment_key: str) -> int:
    return client.get(f"/v1/payments/{payment_key}").status_code


def test_capacity_evicts_the_oldest(client: TossClient, fake: FakeToss) -> None:
    fake.set_expiration(capacity=3)
    payments = [client.key_in(1000) for _ in range(5)]

    assert [status(client, p["paymentKey"]) for p in payments] == [404, 404, 200, 200, 200]
    gone = client.get(f"/v1/payments/{payments[0]['paymentKey']}")
    assert gone.json() == not_found(payments[0]["paymentKey"])


def test_expired_record_stays_readable_until_the_next_insert(
    client: TossClient, fake: FakeToss, clock: SteppedClock
) -> None:
    payment = client.key_in(1000)
    clock.advance(LIFETIME_S)

    assert status(client, payment["paymentKey"]) == 200
    client.register_billing()  # another store: the payments store is not purged
    assert status(client, payment["paymentKey"]) == 200
    client.key_in(1000)
    assert status(client, payment["paymentKey"]) == 404


def test_changes_do_not_renew_a_record(
    client: TossClient, fake: FakeToss, clock: SteppedClock
) -> None:
    payment = client.key_in(1000)
    clock.advance(12)
    client.expect(client.cancel(payment["paymentKey"], cancelAmount=100), 201)
    client.key_in(1000)
    assert status(client, payment["paymentKey"]) == 200  # 12 s old: alive
    clock.advance(8)

    client.key_in(1000)

    assert status(client, payment["paymentKey"]) == 404


def test_records_younger_than_the_lifetime_survive_inserts(
    client: TossClient, fake: FakeToss
) -> None:
    fake.set_expiration(seconds=60)
    payments = [client.key_in(1000) for _ in range(3)]
    assert all(status(client, p["paymentKey"]) == 200 for p in payments)


def test_every_store_shares_the_expiration(client: TossClient, fake: FakeToss) -> None:
    fake.set_expiration(capacity=1)
    payment = client.key_in(1000)
    receipt = client.expect(client.issue_receipt(payment), 201)
    first = client.register_billing("a")
    client.register_billing("b")
    other = client.key_in(1000)
    client.expect(client.issue_receipt(other), 201)

    lookup = client.post(f"/v1/billing/authorizations/{first['billingKey']}", {"customerKey": "a"})
    assert lookup.status_code == 404
    receipt_cancel = client.post(f"/v1/cash-receipts/{receipt['receiptKey']}/cancel", {})
    assert (receipt_cancel.status_code, receipt_cancel.json()) == (
        404,
        not_found(receipt["receiptKey"]),
    )


def test_reset_forgets_everything(client: TossClient, fake: FakeToss) -> None:
    payment = client.virtual_account(1000)
    billing = client.register_billing()
    receipt = client.expect(client.issue_receipt(payment), 201)
    assert fake.drain_webhooks()
    assert fake.received_webhook(payment["paymentKey"]) is not None

    fake.reset()

    assert status(client, payment["paymentKey"]) == 404
    lookup = client.post(
        f"/v1/billing/authorizations/{billing['billingKey']}", {"customerKey": "some-consumer-key"}
    )
    assert lookup.status_code == 404
    assert client.post(f"/v1/cash-receipts/{receipt['receiptKey']}/cancel", {}).status_code == 404
    assert fake.last_webhook(payment["paymentKey"]) is None
    assert fake.received_webhook(payment["paymentKey"]) is None


def test_expiration_can_be_given_at_construction() -> None:
    other = FakeToss(expiration=Expiration(seconds=60, capacity=2))
    keys = [other.pay_by_card(1000, f"o{i}")["paymentKey"] for i in range(3)]
    assert len(other.state.payments) == 2
    assert keys[0] not in other.state.payments


def test_concurrent_cancels_never_over_refund(client: TossClient, fake: FakeToss) -> None:
    fake.webhook_url = "http://127.0.0.1:9/unreachable"
    payment = client.key_in(10000)
    codes: list[int] = []
    lock = threading.Lock()

    def cancel() -> None:
        response = TossClient(fake.url).cancel(payment["paymentKey"], cancelAmount=1000)
        with lock:
            codes.append(response.status_code)

    on_threads(20, cancel)

    assert sorted(codes) == [201] * 10 + [422] * 10
    final = client.payment(payment["paymentKey"])
    assert (final["balanceAmount"], len(final["cancels"]), final["status"]) == (0, 10, "CANCELED")
