"""Bringing a stored payment in line with the gateway's record of it (spec §4.4).

`refund` and `cancelled_at` are derived here from the gateway's cancels (their sum, and the time
of the first), the same way for every vendor, so they are right whether a gateway reports a
partial refund as "paid", "cancelled" or "partially cancelled".
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..db import PaymentHistory, PaymentHistoryCancel
from ..settings import Keys
from ..vendors import PaymentSummary


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
    row.data = keys.history.encrypt_json(payment)
    known = {cancel.sequence for cancel in row.cancels}
    for sequence, record in enumerate(summary.cancels):
        if sequence in known:
            continue
        row.cancels.append(
            PaymentHistoryCancel(
                sequence=sequence,
                amount=record.amount,
                reason=record.reason,
                data=keys.cancel_history.encrypt_json(record.data),
                created_at=record.cancelled_at,
            )
        )
    row.refund = sum((record.amount for record in summary.cancels), Decimal(0))
    row.cancelled_at = min((r.cancelled_at for r in summary.cancels), default=None)
