"""Bringing a stored payment in line with the gateway's record of it (docs/payment-api.md §4.4).

The gateway is always called outside any transaction; `record` then stores its answer in a
short one. Whoever re-fetches a payment (a refund, a gateway webhook, the settler) records
through here, so refunds are counted once however the answers interleave.

`refund` and `cancelled_at` are derived here from the gateway's cancels (their sum, and the time
of the first), the same way for every vendor, so they are right whether a gateway reports a
partial refund as "paid", "cancelled" or "partially cancelled".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from ..db import PaymentHistory, PaymentHistoryCancel
from ..db.models import new_id
from ..db.places import place
from ..db.queries import histories, pending_refunds
from ..delivery.outbox import enqueue
from ..errors import NotFound
from ..runtime import Runtime
from ..settings import Keys
from ..vendors import PaymentSummary, Vendor
from .views import history_view


def apply_summary(
    row: PaymentHistory, summary: PaymentSummary, payment: dict[str, Any], keys: Keys
) -> None:
    """Overwrite the row's gateway-derived fields and add cancels it has not seen yet.

    Cancel rows are keyed by their position in the gateway's append-only list, so applying the
    same record twice (a webhook racing a cancel request) records each refund exactly once.
    """
    row.currency = summary.currency
    row.price = summary.price
    row.paid_at = summary.paid_at
    row.data = keys.history.encrypt_json(payment, place(row, "data"))
    known = {cancel.sequence for cancel in row.cancels}
    for sequence, record in enumerate(summary.cancels):
        if sequence in known:
            continue
        cancel = PaymentHistoryCancel(
            id=new_id(),
            sequence=sequence,
            amount=record.amount,
            reason=record.reason,
            created_at=record.cancelled_at,
        )
        cancel.data = keys.cancel_history.encrypt_json(record.data, place(cancel, "data"))
        row.cancels.append(cancel)
    row.refund = sum((record.amount for record in summary.cancels), Decimal(0))
    row.cancelled_at = min((r.cancelled_at for r in summary.cancels), default=None)
    row.due_at = summary.due_at


def is_stale(row: PaymentHistory, summary: PaymentSummary) -> bool:
    """Whether `summary` is older than what the row already holds.

    Calls to the gateway now overlap (two refunds, a refund and a webhook), so their answers
    can be recorded out of order; a gateway's list of refunds only grows, so an answer listing
    fewer refunds than we recorded was overtaken and must not roll the row back.
    """
    return len(summary.cancels) < len(row.cancels)


@dataclass(frozen=True)
class Recorded:
    """The stored payment after recording a gateway answer, and the webhook it caused."""

    view: dict[str, Any]
    webhook_id: str | None


def record(
    runtime: Runtime,
    history_id: str,
    vendor: Vendor,
    payment: dict[str, Any],
    event: Any,
    *,
    fetched_at: datetime | None = None,
    reservation_id: str | None = None,
) -> Recorded:
    """Store the gateway's answer about a payment, in one short transaction.

    `reservation_id`: the pending refund this answer is the outcome of (deleted). `fetched_at`:
    when a re-fetch of the payment began; every pending refund whose outcome was unknown by
    then is settled by it (the answer lists the refund if it happened), so it is deleted too.
    A change is reported to the service through the outbox, in the same transaction.
    """
    keys = runtime.settings.keys
    summary = vendor.summarize(payment)
    with runtime.database.transaction() as session:
        row = histories.locked(session, history_id)
        if row is None:
            raise NotFound("No payment history found.")
        previous = history_view(row, keys.history)
        if not is_stale(row, summary):
            apply_summary(row, summary, payment, keys)
        # When the gateway's record was last read (the janitor's measure of silence).
        row.synced_at = fetched_at or runtime.clock()
        pending_refunds.settle(session, history_id, reservation_id, fetched_at)
        session.flush()
        current = history_view(row, keys.history)
        webhook_id = None
        if current != previous:
            webhook = enqueue(
                session, row, previous, current, event, runtime.settings, runtime.clock()
            )
            session.flush()
            webhook_id = webhook.id
    if webhook_id is not None:
        runtime.outbox_written()
    return Recorded(current, webhook_id)
