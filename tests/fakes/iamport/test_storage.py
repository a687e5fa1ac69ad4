"""Volatile storage: lifetime and capacity (shortened through the hooks), reset, concurrency."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from fake_servers.iamport import FakeIamport
from tests.support.clock import SteppedClock

from .helpers import IamportClient, new_uid

MISSING = "Error on std.HashMap.get(): unable to find the matched key -> "


LIFETIME_S = 20


@pytest.fixture
def clock(fake: FakeIamport) -> Iterator[SteppedClock]:
    """The fake's stores read this clock, and keep records LIFETIME_S: tests advance time
    instead of sleeping."""
    expiration = fake.state.expiration
    fake.set_expiration(seconds=LIFETIME_S)
    real, expiration.clock = expiration.clock, SteppedClock()
    yield expiration.clock
    expiration.clock = real


def test_capacity_evicts_the_oldest_payment(api: IamportClient, fake: FakeIamport) -> None:
    fake.set_expiration(capacity=2)
    uids = [fake.pay_by_card(1000, new_uid())["imp_uid"] for _ in range(3)]

    assert api.error(404, "GET", f"/payments/{uids[0]}")["message"] == MISSING + uids[0]
    for imp_uid in uids[1:]:
        assert api.ok("GET", f"/payments/{imp_uid}")["imp_uid"] == imp_uid


def test_lowered_capacity_evicts_down_to_it(api: IamportClient, fake: FakeIamport) -> None:
    older = [fake.pay_by_card(1000, new_uid())["imp_uid"] for _ in range(3)]
    fake.set_expiration(capacity=1)
    newest = fake.pay_by_card(1000, new_uid())["imp_uid"]
    for imp_uid in older:
        api.error(404, "GET", f"/payments/{imp_uid}")
    api.ok("GET", f"/payments/{newest}")


def test_expired_payment_stays_readable_until_the_next_insert(
    api: IamportClient, fake: FakeIamport, clock: SteppedClock
) -> None:
    old = fake.pay_by_card(1000, new_uid())["imp_uid"]
    clock.advance(LIFETIME_S)
    # Eviction is lazy: only an insert into the same collection forgets expired records.
    assert api.ok("GET", f"/payments/{old}")["imp_uid"] == old

    new = fake.pay_by_card(1000, new_uid())["imp_uid"]
    assert api.error(404, "GET", f"/payments/{old}")["message"] == MISSING + old
    assert api.ok("GET", f"/payments/{new}")["imp_uid"] == new


def test_token_is_forgotten_once_expired_and_another_is_issued(
    api: IamportClient, fake: FakeIamport, clock: SteppedClock
) -> None:
    old = api.token()
    clock.advance(LIFETIME_S)
    api.token()
    assert api.error(404, "GET", "/payments/x", token=old)["message"] == MISSING + old


def test_updates_do_not_renew_a_payment(
    api: IamportClient, fake: FakeIamport, clock: SteppedClock
) -> None:
    payment = fake.pay_by_card(1000, new_uid())
    clock.advance(12)
    fake.cancel(payment["imp_uid"], 100)
    fake.pay_by_card(1000, new_uid())
    api.ok("GET", f"/payments/{payment['imp_uid']}")  # 12 s old: alive
    clock.advance(8)
    fake.pay_by_card(1000, new_uid())
    api.error(404, "GET", f"/payments/{payment['imp_uid']}")  # 20 s since it was first stored


def test_collections_expire_separately(
    api: IamportClient, fake: FakeIamport, clock: SteppedClock
) -> None:
    customer_uid = new_uid()
    fake.register_card(customer_uid)
    clock.advance(LIFETIME_S)
    fake.pay_by_card(1000, new_uid())
    # Only the payments collection was written to, so the card is still there.
    assert api.ok("GET", f"/subscribe/customers/{customer_uid}")["customer_uid"] == customer_uid


def test_reset_forgets_everything(api: IamportClient, fake: FakeIamport) -> None:
    token = api.token()
    customer_uid = new_uid()
    fake.register_card(customer_uid)
    payment = fake.pay_again(customer_uid, 1000, new_uid())
    certification = fake.request_certification()
    assert fake.last_webhook() is not None

    fake.reset()

    assert fake.last_webhook() is None
    assert fake.webhooks_for(payment["imp_uid"]) == []
    api.error(404, "GET", "/payments/x", token=token)
    api.error(404, "GET", f"/payments/{payment['imp_uid']}")
    api.error(404, "GET", f"/subscribe/customers/{customer_uid}")
    api.error(404, "GET", f"/certifications/{certification['imp_uid']}")


def test_concurrent_refunds_never_exceed_the_amount(api: IamportClient, fake: FakeIamport) -> None:
    payment = fake.pay_by_card(10_000, new_uid())
    token = api.token()
    body = {
        "imp_uid": payment["imp_uid"],
        "merchant_uid": payment["merchant_uid"],
        "amount": 1_000,
        "checksum": None,
        "reason": "race",
    }

    def refund(_: int) -> int:
        headers = {"Authorization": token}
        reply = requests.post(f"{api.url}/payments/cancel", json=body, headers=headers, timeout=5)
        return reply.status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(refund, range(16)))
    assert statuses == [201] * 10 + [422] * 6
    reloaded = api.ok("GET", f"/payments/{payment['imp_uid']}")
    assert reloaded["cancel_amount"] == 10_000
    assert len(reloaded["cancel_history"]) == 10
    assert reloaded["status"] == "cancelled"
