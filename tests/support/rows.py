"""Rows written straight into the database, for tests and benchmarks that need stored payments
without going through a gateway."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from payment_service.db import PaymentHistory
from payment_service.keyrings import AtRestKeyring

# A valid bcrypt hash that no password produces (hashing one costs tens of milliseconds).
NO_PASSWORD = "$2a$10$" + "N" * 53


def confirmed_history(
    keyring: AtRestKeyring,
    webhook_url: str,
    *,
    password: str = NO_PASSWORD,
    vendor_code: str = "example",
    price: int = 20000,
    data: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> PaymentHistory:
    """A paid payment of a fresh source and vendor uid, its `data` encrypted with `keyring`
    (the history keyring), not yet added to any session."""
    now = now or datetime.now(UTC)
    return PaymentHistory(
        source_schema="shop",
        source_table="orders",
        source_id=str(uuid.uuid4()),
        vendor_code=vendor_code,
        vendor_uid=str(uuid.uuid4()),
        vendor_store_id="store",
        currency="KRW",
        price=Decimal(price),
        refund=Decimal(0),
        webhook_url=webhook_url,
        data=keyring.encrypt_json(data or {}),
        password=password,
        created_at=now,
        confirmed_at=now,
    )
