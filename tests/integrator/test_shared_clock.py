"""The test kit's one clock: `PaymentBackend.clock.advance()` moves the payment server and every
fake together, so a test reaches a later day without sleeping and the records still agree."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from fake_servers.common.clock import FakeClock
from payment_service.client import PaymentClient
from payment_service.testing import PaymentBackend

THIRTY_DAYS = timedelta(days=30)


def test_advancing_the_backend_clock_moves_the_server_and_the_fakes_together():
    clock = FakeClock()
    with PaymentBackend(clock=clock) as backend:
        assert backend.clock is clock
        assert backend.toss.clock is clock
        clock.advance(THIRTY_DAYS.total_seconds())
        later = datetime.now(UTC) + THIRTY_DAYS

        order = {"schema": "shop", "table": "orders", "id": str(uuid.uuid4())}
        payment_key = backend.customer.pay_by_card("toss.payments", 20000, order["id"])
        with PaymentClient(backend.url, backend.key, backend.iv) as client:
            history = client.histories.create(
                vendor={"code": "toss.payments", "store_id": "s", "uid": payment_key},
                source=order,
                price=20000,
                password="secret",
                webhook_url="https://hooks.example.com/payments",
            )

        # The gateway approved it a month from today, and the server recorded it then too.
        approved = datetime.fromisoformat(history.data["approvedAt"])
        assert abs(approved - later) < timedelta(minutes=5)
        assert abs(history.created_at - later) < timedelta(minutes=5)
        assert abs(backend.runtime.clock() - later) < timedelta(minutes=5)


def test_a_fake_clock_only_moves_forward_and_never_repeats_a_stamp():
    clock = FakeClock(source=lambda: 1_700_000_000.0)
    first, second = clock.unique(), clock.unique()
    assert second - first == timedelta(milliseconds=1)
    clock.advance(2.5)
    assert clock.ms() == 1_700_000_002_500
    assert clock.iso() == "2023-11-14T22:13:22.500Z"
    with pytest.raises(ValueError):
        clock.advance(-1)
