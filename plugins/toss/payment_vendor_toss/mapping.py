"""A Toss payment (`ITossPayment`) mapped to the common history fields.

See docs/payment-api.md §4.3.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from payment_service.vendors import CancelRecord, PaymentSummary, decimal
from payment_service.vendors.replies import text

from .options import REPLIES

# The statuses of a payment whose money was received (approvedAt is then the payment time).
PAID_STATUSES = ("DONE", "CANCELED", "PARTIAL_CANCELED")
# Toss is a Korean gateway: a timestamp written without an offset is Korean time.
KST = timezone(timedelta(hours=9), "KST")


def summarize(payment: Mapping[str, Any]) -> PaymentSummary:
    with REPLIES.reading_payment():
        currency = text(payment, "currency")
        approved_at = payment.get("approvedAt")
        paid = payment["status"] in PAID_STATUSES and approved_at is not None
        return PaymentSummary(
            currency=currency,
            price=decimal(payment["totalAmount"]),
            paid_at=instant(approved_at) if paid else None,
            cancels=tuple(cancel_record(entry) for entry in payment.get("cancels") or ()),
            status=payment["status"] if isinstance(payment["status"], str) else None,
            due_at=due_at(payment),
        )


def due_at(payment: Mapping[str, Any]) -> datetime | None:
    """A virtual account's deposit deadline while Toss awaits it (`WAITING_FOR_DEPOSIT`)."""
    account = payment.get("virtualAccount")
    if payment.get("status") != "WAITING_FOR_DEPOSIT" or not isinstance(account, Mapping):
        return None
    due = account.get("dueDate")
    if not isinstance(due, str):
        return None
    if len(due) == len("2024-01-31"):  # a day: the deposit may come until its end
        return instant(due) + timedelta(days=1)
    return instant(due)


def cancel_record(entry: Mapping[str, Any]) -> CancelRecord:
    reason = entry.get("cancelReason")
    return CancelRecord(
        amount=decimal(entry["cancelAmount"]),
        reason=reason if isinstance(reason, str) else "",
        cancelled_at=instant(entry["canceledAt"]),
        data=dict(entry),
    )


def instant(text: Any) -> datetime:
    """An ISO-8601 timestamp of Toss as a UTC datetime to the millisecond (as the original's
    `new Date(text)` keeps it)."""
    if not isinstance(text, str):
        raise TypeError(f"not a timestamp: {text!r}")
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=KST)
    parsed = parsed.astimezone(UTC)
    return parsed.replace(microsecond=parsed.microsecond // 1000 * 1000)
