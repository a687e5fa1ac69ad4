"""The wire forms of stored records: `IPaymentHistory` and `IPaymentReservation`
(docs/payment-api.md §2.4), with keys in the original's order and decrypted gateway data."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ..db import PaymentHistory, PaymentReservation
from ..db.places import place
from ..delivery.url_policy import without_credentials
from ..keyrings import AtRestKeyring


def iso(moment: datetime | None) -> str | None:
    """JavaScript's Date.toISOString(): UTC, milliseconds, `Z`."""
    if moment is None:
        return None
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


_STORED = object()


def history_view(row: PaymentHistory, cipher: AtRestKeyring, data: Any = _STORED) -> dict[str, Any]:
    """`data`: the gateway's record as `row.data` holds it encrypted, when the caller has it
    at hand (it just encrypted it): spares decrypting it again."""
    refund = row.refund or Decimal(0)
    return {
        "id": row.id,
        "vendor_code": row.vendor_code,
        "vendor": {"code": row.vendor_code, "uid": row.vendor_uid, "store_id": row.vendor_store_id},
        "source": {"schema": row.source_schema, "table": row.source_table, "id": row.source_id},
        "cancels": [
            {
                "price": cancel.amount,
                "reason": cancel.reason,
                "created_at": iso(cancel.created_at),
                # The original emits `time` beside `created_at` (same instant); clients see it.
                "time": iso(cancel.created_at),
            }
            for cancel in row.cancels
        ],
        "currency": row.currency,
        "price": row.price,
        "refund": refund if refund else None,
        "data": cipher.decrypt_json(row.data, place(row, "data")) if data is _STORED else data,
        "webhook_url": without_credentials(row.webhook_url),
        "created_at": iso(row.created_at),
        "paid_at": iso(row.paid_at),
        "cancelled_at": iso(row.cancelled_at),
    }


def reservation_view(row: PaymentReservation, cipher: AtRestKeyring) -> dict[str, Any]:
    return {
        "id": row.id,
        "vendor_code": row.vendor_code,
        "vendor": {"code": row.vendor_code, "store_id": row.vendor_store_id, "uid": row.vendor_uid},
        "source": {"schema": row.source_schema, "table": row.source_table, "id": row.source_id},
        "title": row.title,
        "data": cipher.decrypt_json(row.data, place(row, "data")),
        "created_at": iso(row.created_at),
    }
