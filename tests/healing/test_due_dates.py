"""What the janitor reads of a payment without decrypting it: when the gateway was last asked,
and the due date of a deposit it still awaits (each shipped plugin's virtual accounts)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from payment_service.db import PaymentHistory
from payment_service.payments.refunds import settle

from .conftest import Gateways, register, webhooks_lost

VENDORS = ["iamport", "toss.payments", "portone"]


def stored(gateways: Gateways, history_id: str) -> PaymentHistory:
    with gateways.backend.runtime.database.reading() as session:
        row = session.get(PaymentHistory, history_id)
        assert row is not None
        session.expunge(row)
        return row


@pytest.mark.parametrize("code", VENDORS)
def test_a_virtual_account_is_stored_with_its_due_date_until_it_is_paid(
    gateways: Gateways, code: str
) -> None:
    order = str(uuid.uuid4())
    uid = gateways.backend.customer.issue_virtual_account(code, 30000, order)
    history = register(gateways, code, uid, 30000, order)

    waiting = stored(gateways, history.id)

    now = datetime.now(UTC)
    assert waiting.due_at is not None
    assert now < waiting.due_at < now + timedelta(days=9)
    assert waiting.synced_at is not None and abs(waiting.synced_at - now) < timedelta(minutes=1)

    with webhooks_lost(gateways.backend.fakes.by_code(code).server):
        gateways.backend.customer.deposit(code, uid)
    settle(gateways.backend.runtime, history.id)  # a re-fetch, as the janitor's

    paid = stored(gateways, history.id)
    assert paid.due_at is None and paid.paid_at is not None
    assert paid.synced_at is not None and paid.synced_at >= waiting.synced_at


def test_a_card_payment_awaits_nothing(gateways: Gateways) -> None:
    history = gateways.register("toss.payments", 10000)

    row = stored(gateways, history.id)

    assert row.due_at is None and row.paid_at is not None
