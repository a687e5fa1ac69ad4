"""An iamport payment (`IIamportPayment`) mapped to the common history fields.

See docs/payment-api.md §4.3.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from payment_service.vendors import CancelRecord, PaymentSummary, decimal
from payment_service.vendors.replies import text

from .options import REPLIES

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def summarize(payment: Mapping[str, Any]) -> PaymentSummary:
    with REPLIES.reading_payment():
        currency = text(payment, "currency")
        status = payment.get("status")
        return PaymentSummary(
            currency=currency,
            price=decimal(payment["amount"]),
            paid_at=instant(payment["paid_at"]),
            cancels=tuple(cancel_record(entry) for entry in payment.get("cancel_history") or ()),
            status=status if isinstance(status, str) else None,
            # A virtual account waits (`ready`) for its deposit until `vbank_date`.
            due_at=instant(payment.get("vbank_date") or 0) if status == "ready" else None,
        )


def cancel_record(entry: Mapping[str, Any]) -> CancelRecord:
    cancelled_at = instant(entry["cancelled_at"])
    if cancelled_at is None:
        raise ValueError("a cancel_history entry has no cancelled_at")
    reason = entry.get("reason")
    return CancelRecord(
        amount=decimal(entry["amount"]),
        reason=reason if isinstance(reason, str) else "",
        cancelled_at=cancelled_at,
        data=dict(entry),
    )


def instant(seconds: Any) -> datetime | None:
    """iamport's Unix seconds (fractional, 0 for "never") as a UTC datetime to the millisecond
    (finer digits are truncated, as JavaScript's Date does)."""
    value = decimal(seconds)
    if value == 0:
        return None
    return EPOCH + timedelta(milliseconds=int(value * 1000))
