"""Shared helpers: stored reservations to open, encrypted look-ups, a clock tests move by hand,
and a count of the bcrypt verifications the server really ran."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from payment_service.crypto import hash_password
from payment_service.db import AuthFailure, PaymentReservation
from payment_service.runtime import Runtime

PASSWORD = "the-right-password"
WRONG = "a-wrong-guess"


class ManualClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class BcryptCounter:
    """Wraps the bcrypt verification that every password check ends in."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.calls = 0

    def __call__(self, *args: Any) -> Any:
        self.calls += 1
        return self.real(*args)


def seed_reservation(runtime: Runtime, password: str = PASSWORD, source_id: str = "r1") -> str:
    cipher = runtime.settings.keys.reservation
    with runtime.database.transaction() as session:
        row = PaymentReservation(
            source_schema="shop",
            source_table="customers",
            source_id=source_id,
            vendor_code="toss.payments",
            vendor_uid=f"billing-key-{source_id}",
            vendor_store_id="store",
            title="card",
            data=cipher.encrypt_json({"card": "4330-****"}),
            password=hash_password(password),
            created_at=runtime.clock(),
        )
        session.add(row)
        session.flush()
        return row.id


def change_password(runtime: Runtime, id: str, password: str) -> None:
    with runtime.database.transaction() as session:
        session.execute(
            update(PaymentReservation)
            .where(PaymentReservation.id == id)
            .values(password=hash_password(password))
        )


def stored_failures(runtime: Runtime, records: bool = False) -> list[str]:
    """The counted checks' client addresses (with `records`, the records' budgets' too)."""
    with runtime.database.transaction() as session:
        scopes = session.scalars(select(AuthFailure.client).order_by(AuthFailure.id))
        return [scope for scope in scopes if records or not scope.startswith("record:")]
