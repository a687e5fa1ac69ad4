"""A PortOne V2 `Payment` mapped to the common history fields (docs/payment-api.md §4.3)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from payment_service.vendors import CancelRecord, PaymentSummary, decimal
from payment_service.vendors.replies import text

from .options import REPLIES


def summarize(payment: Mapping[str, Any]) -> PaymentSummary:
    with REPLIES.reading_payment():
        currency = text(payment, "currency")
        paid_at = payment.get("paidAt")
        return PaymentSummary(
            currency=currency,
            price=decimal(payment["amount"]["total"]),
            paid_at=None if paid_at is None else instant(paid_at),
            status=payment.get("status"),
            due_at=due_at(payment),
            cancels=tuple(
                cancel_record(entry)
                for entry in payment.get("cancellations") or ()
                # Requested (asynchronous) and failed cancellations moved no money.
                if entry.get("status") == "SUCCEEDED"
            ),
        )


def due_at(payment: Mapping[str, Any]) -> datetime | None:
    """A virtual account's deposit deadline while PortOne awaits it (`VIRTUAL_ACCOUNT_ISSUED`)."""
    method = payment.get("method")
    if payment.get("status") != "VIRTUAL_ACCOUNT_ISSUED" or not isinstance(method, Mapping):
        return None
    expires = method.get("expiredAt")
    return instant(expires) if isinstance(expires, str) else None


def cancel_record(entry: Mapping[str, Any]) -> CancelRecord:
    reason = entry.get("reason")
    return CancelRecord(
        amount=decimal(entry["totalAmount"]),
        reason=reason if isinstance(reason, str) else "",
        cancelled_at=instant(entry.get("cancelledAt") or entry["requestedAt"]),
        data=dict(entry),
    )


def instant(text: Any) -> datetime:
    """An RFC 3339 time (`2024-01-01T00:00:00.000Z`) as an aware datetime."""
    if not isinstance(text, str):
        raise TypeError(f"not a time: {text!r}")
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"a time without a zone: {text!r}")
    return value
