"""`claims.record`: a claim becomes its payment in one unit of work (one statement on
PostgreSQL): the claim's own columns (source, store, owner, webhook_url, age) with the gateway's
over them; a claim that is gone changes nothing; a payment that cannot be stored leaves the
claim where it was."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from payment_service.db import Database, PaymentHistory, PaymentHistoryClaim
from payment_service.db.models import new_id
from payment_service.db.queries import claims

CLAIMED_AT = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
CONFIRMED_AT = CLAIMED_AT + timedelta(seconds=3)


def claim_row(order: str, uid: str) -> dict[str, Any]:
    return {
        "id": new_id(),
        "source_schema": "shop",
        "source_table": "orders",
        "source_id": order,
        "vendor_code": "toss.payments",
        "vendor_uid": uid,
        "vendor_store_id": "store-1",
        "price": Decimal("20000"),
        "webhook_url": "https://shop.example/hooks",
        "password": "$2b$10$owner-hash",
        "created_at": CLAIMED_AT,
        "data": "claim-data",
    }


def paid(claim_id: str, uid: str) -> PaymentHistory:
    """What the gateway reported, as the create flow builds it (out of any session)."""
    return PaymentHistory(
        id=claim_id,
        vendor_uid=uid,
        currency="KRW",
        price=Decimal("19999.50"),
        refund=Decimal(0),
        data="gateway-data",
        paid_at=CLAIMED_AT + timedelta(seconds=1),
        confirmed_at=CONFIRMED_AT,
        synced_at=CONFIRMED_AT,
        cancels=[],
    )


def claim(database: Database, row: dict[str, Any]) -> None:
    with database.transaction() as session:
        session.execute(PaymentHistoryClaim.__table__.insert(), row)


def counts(database: Database) -> tuple[int, int]:
    with database.reading() as session:
        held = session.scalar(select(func.count()).select_from(PaymentHistoryClaim))
        stored = session.scalar(select(func.count()).select_from(PaymentHistory))
    return held or 0, stored or 0


def test_a_claim_becomes_its_payment_with_its_own_columns_and_the_gateway_s(database):
    row = claim_row("order-1", "pay-1")
    claim(database, row)
    payment = paid(row["id"], "pay-1")
    with database.one_statement() as session:
        found = claims.record(session, payment)
    assert found == row
    assert counts(database) == (0, 1)
    with database.reading() as session:
        stored = session.get(PaymentHistory, row["id"])
        assert stored is not None
        for name in claims.KEPT:
            assert getattr(stored, name) == row[name], name
        assert (stored.vendor_uid, stored.currency, stored.price, stored.data) == (
            "pay-1",
            "KRW",
            Decimal("19999.50"),
            "gateway-data",
        )
        assert (stored.paid_at, stored.confirmed_at, stored.refund) == (
            CLAIMED_AT + timedelta(seconds=1),
            CONFIRMED_AT,
            Decimal(0),
        )
    # The object handed in now holds the stored row.
    assert (payment.password, payment.webhook_url, payment.created_at) == (
        row["password"],
        row["webhook_url"],
        CLAIMED_AT,
    )


def test_a_claim_that_is_gone_changes_nothing(database):
    with database.one_statement() as session:
        assert claims.record(session, paid(new_id(), "pay-2")) is None
    assert counts(database) == (0, 0)


def test_a_payment_that_cannot_be_stored_leaves_its_claim(database):
    first = claim_row("order-3", "pay-3")
    claim(database, first)
    with database.one_statement() as session:
        claims.record(session, paid(first["id"], "pay-3"))
    # A second claim whose payment would take the same vendor uid: the insert fails, and the
    # delete of the same statement (or transaction) with it.
    second = claim_row("order-4", "pay-4")
    claim(database, second)
    with pytest.raises(IntegrityError), database.one_statement() as session:
        claims.record(session, paid(second["id"], "pay-3"))
    assert counts(database) == (1, 1)
